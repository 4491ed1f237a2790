"""The compiled piece: frozen, fully resolved settings — all the engine ever reads.

Each section's settings are resolved as mode preset ← piece `defaults` ← the section itself
(`conductor.piece.merge`); whatever none of them writes takes the default of its field here. These
field defaults are the one source of every default value (the presets in `conductor.piece.modes`
say only how each mode differs). No setting is left unresolved: the cadence is one of three kinds,
the horizon one span, the key fixed or detected. Nothing here is mutated after loading; a hot reload
builds a new `Piece`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from conductor.core.events import Source
from conductor.core.keys import Key
from conductor.core.timebase import Span, Timebase, Unit
from conductor.piece.names import (
    Action,
    Answer,
    Dtype,
    ExitPolicy,
    Feel,
    Grid,
    KeyAction,
    MelodyLine,
    Mode,
    ModelKind,
    Overlap,
    Param,
    ThenKind,
    TokenizerName,
    TriggerKind,
)
from conductor.piece.osc import OscSpec

# ---------------------------------------------------------------- model


@dataclass(frozen=True, slots=True)
class SamplingSpec:
    """Sampling settings handed to the model for each generation."""

    temperature: float = 1.0
    top_p: float = 0.98
    top_k: int = 20
    seed: int | None = None


@dataclass(frozen=True, slots=True)
class MarkovSpec:
    """Options of the Markov backend (ignored by other backends)."""

    order: int = 4
    seed: tuple[str, ...] = ()  # MIDI file paths or "corpus:NAME" (music21), e.g. "corpus:bach"
    seed_weight: float = 0.3  # 0: only what it learns live; 1: only the seed corpus
    learn_from_ai: bool = False
    state: Path | None = None  # a saved model to load and continue learning
    follow: bool = True  # continue the human's material (context = the human's latest notes)
    transpose_away: int = 0  # semitones to move away from the human's register (0: off)
    complement: bool = False  # play sparser when the human is busy (uses the request's human_density)


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """Which model plays, and how it samples."""

    kind: ModelKind = ModelKind.MARKOV
    checkpoint: Path | None = None  # local path: HF folder or Lightning .ckpt
    lora: Path | None = None  # a LoRA adapter folder (peft's shape) merged onto the checkpoint at load
    config: str | None = None  # named config for a randomly initialised model ("tv2o-medium", ...)
    tokenizer: TokenizerName | None = None  # None: the checkpoint's own
    device: str = "cpu"  # "cpu" | "cuda" | "cuda:1"
    dtype: Dtype = Dtype.FLOAT32
    sampling: SamplingSpec = field(default_factory=SamplingSpec)
    markov: MarkovSpec = field(default_factory=MarkovSpec)


# ---------------------------------------------------------------- section parts


@dataclass(frozen=True, slots=True)
class Then:
    """What follows a section when its length runs out."""

    kind: ThenKind = ThenKind.NEXT
    target: str | None = None  # section name, for GOTO


@dataclass(frozen=True, slots=True)
class ListenSpec:
    """What the AI listens to for each generation."""

    sources: frozenset[Source] = frozenset({Source.HUMAN})
    window: Span = Span(4, Unit.BARS)
    max_events: int = 256


@dataclass(frozen=True, slots=True)
class Every:
    """Answer on a grid: at `start + k·every` from the section's start (k >= 1)."""

    every: Span = Span(1, Unit.BARS)
    overlap: Overlap = Overlap.WAIT


@dataclass(frozen=True, slots=True)
class PhraseEnd:
    """Answer once the human has been silent for `silence` after playing; and, so that a human who never
    rests still hears answers, on the first bar line `fallback` after the last answer (None: never)."""

    silence: Span = Span(1, Unit.BEATS)
    overlap: Overlap = Overlap.WAIT
    fallback: Span | None = Span(2, Unit.BARS)


@dataclass(frozen=True, slots=True)
class AtTurns:
    """Trading: answer at the start of each AI turn of `bars` bars; `starts` plays the first turn."""

    bars: int = 4
    starts: Source = Source.HUMAN
    overlap: Overlap = Overlap.WAIT


CadenceSpec = Every | PhraseEnd | AtTurns  # when the AI answers


@dataclass(frozen=True, slots=True)
class OutputSpec:
    """How much one generation may produce, and how far ahead it may place notes.

    `horizon`: no note starts later than the trigger plus this — the tighter of the piece's
    `output.span` and `output.horizon` (one turn in trading when neither is written).
    """

    events: int = 16  # max note events decoded per generation
    max_group: int = 8  # most notes struck at once (decode-time roles, every mode)
    horizon: Span = Span(2, Unit.BARS)


# ---------------------------------------------------------------- filters (applied in order)


@dataclass(frozen=True, slots=True)
class FixedKey:
    """A key written in the piece ("D minor")."""

    key: Key


@dataclass(frozen=True, slots=True)
class DetectKey:
    """The key detected from the human (`conductor.engine.keytrack`)."""


@dataclass(frozen=True, slots=True)
class KeyFilter:
    """Keep notes in a key: fixed, or detected from what the human plays."""

    key: FixedKey | DetectKey = DetectKey()
    action: KeyAction = KeyAction.SNAP


@dataclass(frozen=True, slots=True)
class ChordsFilter:
    """Keep only onset clusters of at least `min_notes` notes starting within `window`; the model
    decodes chords of `min_notes`..`max_notes` notes, at least `spacing` semitones apart."""

    min_notes: int = 3
    window: Span = Span(0.05, Unit.SECONDS)
    max_notes: int = 4  # unwritten: 4, or min_notes where that is more
    spacing: int = 2


@dataclass(frozen=True, slots=True)
class MelodyFilter:
    """Reduce to one monophonic line."""

    line: MelodyLine = MelodyLine.HIGHEST


@dataclass(frozen=True, slots=True)
class DensityFilter:
    """Thin the output: keep-probability, a notes-per-second cap (None: none), or complement the human."""

    keep: float = 1.0
    max_per_second: float | None = None
    complement: bool = False


@dataclass(frozen=True, slots=True)
class RangeFilter:
    low: int = 21
    high: int = 108


@dataclass(frozen=True, slots=True)
class VelocityFilter:
    scale: float = 1.0
    offset: int = 0
    low: int = 1
    high: int = 127


@dataclass(frozen=True, slots=True)
class HorizonFilter:
    """Drop notes starting later than trigger + horizon."""

    horizon: Span = Span(2, Unit.BARS)


Filter = (
    KeyFilter | ChordsFilter | MelodyFilter | DensityFilter | RangeFilter | VelocityFilter | HorizonFilter
)


# ---------------------------------------------------------------- the section


@dataclass(frozen=True, slots=True)
class Section:
    """One compiled section: everything the engine needs, fully resolved."""

    name: str
    index: int
    mode: Mode
    length: Span | None  # None: until the footswitch
    then: Then
    listen: ListenSpec
    cadence: CadenceSpec
    output: OutputSpec
    filters: tuple[Filter, ...]
    model: ModelSpec
    silent: bool  # listen mode: the AI never plays, memory still fills
    on_exit: ExitPolicy = ExitPolicy.CANCEL
    line: int = 0  # line of the section in the piece file
    feel: Feel = Feel.FOLLOW  # where its eighths fall on the human's tracked beat
    answer: Answer = Answer.FREE  # how an answer uses the phrase just heard (trading: develop)


# ---------------------------------------------------------------- routing, mappings, piece


@dataclass(frozen=True, slots=True)
class RoutingSpec:
    """MIDI ports, matched by name substring; None: choose on the command line."""

    input: str | None = None
    output: str | None = None
    footswitch: str | None = None
    clock: str | None = None  # a MIDI clock source: its beats and tempo drive the tracked grid
    ai_channel: int = 0  # 0-based MIDI channel of the AI's output
    program: int | None = None  # GM program sent on the AI channel at start


@dataclass(frozen=True, slots=True)
class MidiTrigger:
    """A MIDI message that fires a mapping: a note-on, a CC (value >= threshold) or a program change."""

    kind: TriggerKind
    number: int
    channel: int | None = None  # None: any channel
    threshold: int = 64  # for cc: fires when value crosses up through this


@dataclass(frozen=True, slots=True)
class OscTrigger:
    """An OSC address that fires a mapping: a message with no argument or a number that is not 0."""

    address: str


DEBOUNCE_S = 0.15  # default: a second firing of a mapping within this is a bounce, ignored
CONFIRM_STOP_S = 3.0  # default: a `next` that would end the piece needs a second press within this


@dataclass(frozen=True, slots=True)
class ActionMapping:
    """A control that fires an action; `debounce` and `confirm_stop` in seconds (0: off)."""

    trigger: MidiTrigger | OscTrigger
    action: Action
    target: str | None = None  # section name for GOTO
    debounce: float = DEBOUNCE_S
    confirm_stop: float = CONFIRM_STOP_S  # only used by `next`


@dataclass(frozen=True, slots=True)
class ParamMapping:
    """A CC that sets a live parameter, scaled from 0..127 onto low..high."""

    cc: int
    param: Param
    low: float
    high: float
    channel: int | None = None


@dataclass(frozen=True, slots=True)
class RecordingSpec:
    folder: Path = Path("takes")
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Piece:
    """A compiled piece. `changes_on` is the grid section changes land on ('now', 'beat', 'bar')."""

    title: str
    path: Path | None
    timebase: Timebase
    model: ModelSpec
    routing: RoutingSpec
    actions: tuple[ActionMapping, ...]
    params: tuple[ParamMapping, ...]
    recording: RecordingSpec
    sections: tuple[Section, ...]
    changes_on: Grid = Grid.BAR
    osc: OscSpec = field(default_factory=OscSpec)  # OSC in and out (conductor.piece.osc)

    def takes_folder(self) -> Path:
        """Where takes go by default (`perform` and `rehearse`): `recording.folder`, relative to the piece."""
        folder = self.recording.folder
        if not folder.is_absolute() and self.path is not None:
            folder = self.path.parent / folder
        return folder

    def section(self, name: str) -> Section:
        """The section called `name` (KeyError if none)."""
        for section in self.sections:
            if section.name == name:
                return section
        raise KeyError(name)

    def index_of(self, name: str) -> int | None:
        """Index of the section called `name`, or None."""
        for section in self.sections:
            if section.name == name:
                return section.index
        return None
