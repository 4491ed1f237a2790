"""The raw piece file as written, as a pydantic v2 schema: unknown keys are errors.

This is the shape of the YAML only (and the source of `conductor schema`); resolution of mode
defaults and all cross-checks happen in `conductor.piece.compile`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from conductor.piece.fieldtypes import (
    Channel,
    KeyName,
    LengthStr,
    Meter,
    MidiNumber,
    Pitch,
    TimeStr,
    WindowStr,
    custom_error,
    forms,
)
from conductor.piece.values import KEY_EXAMPLES

MODES = ("duet", "ai_chords", "ai_solo", "trading", "listen")
ACTIONS = ("next", "previous", "panic", "hold", "mute", "regenerate")
PARAMS = ("temperature", "top_p", "density", "velocity")
FILTERS = ("key", "chords", "melody", "density", "range", "velocity", "horizon")
ModeName = Literal["duet", "ai_chords", "ai_solo", "trading", "listen"]
Who = Literal["human", "ai"]


class Strict(BaseModel):
    """Base of every raw model: unknown keys are errors and values are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# ---------------------------------------------------------------- model


class SamplingRaw(Strict):
    """Sampling settings of each generation."""

    temperature: float | None = Field(None, gt=0, le=5, description="Randomness; 1.0 is neutral")
    top_p: float | None = Field(None, gt=0, le=1, description="Nucleus sampling: keep this much mass")
    top_k: int | None = Field(None, ge=0, description="Keep the k most likely tokens (0: all)")
    seed: int | None = Field(None, ge=0, description="Random seed for repeatable takes")


class MarkovRaw(Strict):
    """Options of the Markov model."""

    order: int | None = Field(None, ge=1, le=16, description="How many previous notes predict the next")
    seed: list[str] | None = Field(None, description="MIDI files or 'corpus:NAME' (e.g. 'corpus:bach')")
    seed_weight: float | None = Field(None, ge=0, le=1, description="0: only what it hears; 1: only seed")
    learn_from_ai: bool | None = Field(None, description="Also learn from its own output")
    state: str | None = Field(None, description="A saved Markov model to load and keep learning")
    follow: bool | None = Field(None, description="Continue from the human's latest notes")
    transpose_away: int | None = Field(None, ge=-48, le=48, description="Semitones away from the human")


ModelKind = Literal["markov", "skytnt", "scripted"]


class ModelRaw(Strict):
    """Which model plays and how it samples (a section may override any of it)."""

    kind: ModelKind | None = Field(None, description="markov | skytnt | scripted (tests)")
    checkpoint: str | None = Field(None, description="Folder or .ckpt file, relative to the piece")
    config: str | None = Field(None, description="Named config for a random model ('tv2o-medium')")
    tokenizer: Literal["v1", "v2", "v2o"] | None = Field(None, description="None: from the checkpoint")
    device: str | None = Field(None, pattern=r"^(cpu|cuda(:\d+)?|mps)$", description="cpu | cuda | cuda:1")
    dtype: Literal["float32", "bfloat16", "int8"] | None = Field(None, description="Weights' precision")
    sampling: SamplingRaw | None = Field(None, description="temperature, top_p, top_k, seed")
    markov: MarkovRaw | None = Field(None, description="Markov options: order, seed corpus, ...")


if TYPE_CHECKING:
    ModelField = Any
else:
    ModelField = forms("a model name (markov, skytnt) or a mapping", word=ModelKind, map=ModelRaw)

# ---------------------------------------------------------------- routing and mappings


class MidiRaw(Strict):
    """MIDI ports (matched by name substring) and the AI's channel and sound."""

    input: str | None = Field(None, description="Keyboard port name (substring)")
    output: str | None = Field(None, description="Sound module port name (substring)")
    footswitch: str | None = Field(None, description="Separate footswitch/controller port (substring)")
    ai_channel: Channel | None = Field(None, description="AI output channel, 1..16")
    program: int | None = Field(None, ge=1, le=128, description="GM program 1..128 sent at start")


class GotoRaw(Strict):
    """Jump to a named section."""

    goto: str = Field(min_length=1, description="Name of a section")


ActionName = Literal["next", "previous", "panic", "hold", "mute", "regenerate"]
if TYPE_CHECKING:
    ActionField = Any
else:
    ActionField = forms(f"one of {', '.join(ACTIONS)} or {{goto: SECTION}}", word=ActionName, map=GotoRaw)


class ControlRaw(Strict):
    """A footswitch or pad message (one of cc, note, program) and the action it fires."""

    cc: MidiNumber | None = Field(None, description="Control change number (fires on crossing threshold)")
    note: MidiNumber | None = Field(None, description="Note number (fires on note-on)")
    program: MidiNumber | None = Field(None, description="Program change number")
    channel: Channel | None = Field(None, description="Only on this channel (1..16); omitted: any")
    threshold: int | None = Field(None, ge=1, le=127, description="cc only: fires when crossing up (64)")
    action: ActionField = Field(description="next | previous | panic | hold | mute | regenerate | {goto: X}")

    @model_validator(mode="after")
    def _one_trigger(self) -> ControlRaw:
        given = [k for k in ("cc", "note", "program") if getattr(self, k) is not None]
        if len(given) != 1:
            found = f"it has {' and '.join(given)}" if given else "it has none"
            raise custom_error(f"a control needs exactly one message; {found}", "one of cc, note, program")
        if self.threshold is not None and self.cc is None:
            raise custom_error("threshold only applies to a cc control", "threshold with cc")
        return self


class ParamRaw(Strict):
    """A continuous controller (pedal, knob) that sets a live parameter within a range."""

    cc: MidiNumber = Field(description="Control change number")
    channel: Channel | None = Field(None, description="Only on this channel (1..16); omitted: any")
    param: Literal["temperature", "top_p", "density", "velocity"] = Field(description="What it sets")
    range: list[float] = Field(min_length=2, max_length=2, description="[value at 0, value at 127]")


class RecordingRaw(Strict):
    """Where takes are written."""

    folder: str | None = Field(None, description="Folder for takes, relative to the piece")
    enabled: bool | None = Field(None, description="Record takes (default true)")


# ---------------------------------------------------------------- section settings


class ListenRaw(Strict):
    """What the AI listens to for each generation."""

    sources: list[Who] | None = Field(None, min_length=1, description="human, ai (its own output)")
    window: WindowStr | None = Field(None, description="How far back: '4 bars', '8 s' or '64 notes'")
    max_events: int | None = Field(None, ge=1, le=4096, description="Most notes in the window")


class CadenceRaw(Strict):
    """When the AI answers: every N, at the human's phrase end, or at turns; and how answers overlap."""

    every: TimeStr | None = Field(None, description="Answer every '2 bars', '4 beats', '5 s'")
    phrase_end: TimeStr | None = Field(None, description="Answer after the human is silent this long")
    turns: bool | None = Field(None, description="Answer at the start of each AI turn (trading)")
    overlap: Literal["wait", "overlap", "replace"] | None = Field(
        None, description="wait: let the previous answer finish; overlap; replace what has not sounded"
    )

    @model_validator(mode="after")
    def _one_kind(self) -> CadenceRaw:
        given = [k for k in ("every", "phrase_end") if getattr(self, k) is not None]
        given += ["turns"] if self.turns else []
        if len(given) > 1:
            raise custom_error(
                f"a cadence is one of every, phrase_end, turns; this one has {' and '.join(given)}",
                "only one of every, phrase_end, turns",
            )
        return self


class OutputRaw(Strict):
    """How much one answer may play and how far ahead."""

    events: int | None = Field(None, ge=1, le=1024, description="Most notes in one answer")
    span: TimeStr | None = Field(None, description="Longest answer, e.g. '2 bars'")
    horizon: TimeStr | None = Field(None, description="No note starts later than this after the trigger")


class TurnsRaw(Strict):
    """Trading: bars per turn and who starts."""

    bars: int | None = Field(None, ge=1, le=64, description="Bars per turn (4: trading fours)")
    starts: Who | None = Field(None, description="human | ai")


class ChordsRaw(Strict):
    """Keep only chords: at least min_notes notes starting within window."""

    min_notes: int | None = Field(None, ge=2, le=12, description="Fewest notes in a chord")
    window: TimeStr | None = Field(None, description="Onsets within this count as one chord ('50 ms')")


class DensityRaw(Strict):
    """Thin the AI's notes."""

    keep: float | None = Field(None, ge=0, le=1, description="Probability of keeping each note")
    max_per_second: float | None = Field(None, gt=0, description="Most notes per second")
    complement: bool | None = Field(None, description="Play less when the human plays more")


class RangeRaw(Strict):
    """Keep notes within low..high (MIDI numbers or names such as C4)."""

    low: Pitch | None = Field(None, description="Lowest note")
    high: Pitch | None = Field(None, description="Highest note")


class VelocityRaw(Strict):
    """Scale and clamp velocities."""

    scale: float | None = Field(None, ge=0, le=4, description="Multiply velocities")
    offset: int | None = Field(None, ge=-127, le=127, description="Then add")
    low: int | None = Field(None, ge=1, le=127, description="Then clamp to low..high")
    high: int | None = Field(None, ge=1, le=127, description="Highest velocity")


Off = Literal[False]
MelodyLine = Literal["highest", "lowest", "salient"]

if TYPE_CHECKING:
    KeyForm = Any
    ChordsForm = Any
    MelodyForm = Any
    DensityForm = Any
    RangeForm = Any
    VelocityForm = Any
    HorizonForm = Any
    ThenField = Any
else:
    KeyForm = forms(f"{KEY_EXAMPLES} or off", word=KeyName, off=Off)
    ChordsForm = forms(
        "{min_notes: .., window: ..}, a number of notes, or off", map=ChordsRaw, number=int, off=Off
    )
    MelodyForm = forms("highest, lowest, salient or off", word=MelodyLine, off=Off)
    DensityForm = forms(
        "{keep: .., max_per_second: ..}, a keep probability, or off", map=DensityRaw, number=float, off=Off
    )
    RangeForm = forms("{low: .., high: ..} or off", map=RangeRaw, off=Off)
    VelocityForm = forms("{scale: .., offset: ..}, a scale, or off", map=VelocityRaw, number=float, off=Off)
    HorizonForm = forms("a time such as '2 bars', or off", word=TimeStr, off=Off)
    ThenField = forms(
        "next, loop, stop or {goto: SECTION}", word=Literal["next", "loop", "stop"], map=GotoRaw
    )


class FilterRaw(Strict):
    """One filter, named by its key. A section's filter replaces an inherited one of the same kind; `off`
    removes it; new kinds are added after the inherited ones."""

    key: KeyForm | None = Field(None, description="detect | a key such as 'D minor' | off")
    action: Literal["snap", "drop"] | None = Field(None, description="key only: snap (default) or drop")
    chords: ChordsForm | None = Field(None, description="Only chords: {min_notes: 3, window: 50 ms}")
    melody: MelodyForm | None = Field(None, description="One line: highest | lowest | salient")
    density: DensityForm | None = Field(None, description="Thin out: {keep, max_per_second, complement}")
    range: RangeForm | None = Field(None, description="Pitch range: {low: C2, high: C6}")
    velocity: VelocityForm | None = Field(None, description="Velocity: {scale, offset, low, high}")
    horizon: HorizonForm | None = Field(None, description="Drop notes later than this after the trigger")

    @model_validator(mode="after")
    def _one_filter(self) -> FilterRaw:
        given = [k for k in FILTERS if getattr(self, k) is not None]
        if len(given) != 1:
            found = f"it names {' and '.join(given)}" if given else "it names none"
            raise custom_error(f"each filter item names exactly one filter; {found}", ", ".join(FILTERS))
        if self.action is not None and self.key is None:
            raise custom_error("action only applies to the key filter", "action next to key")
        return self


class SettingsRaw(Strict):
    """Settings a section inherits from `defaults` and may override key by key."""

    on_exit: Literal["cancel", "ring"] | None = Field(
        None, description="At a section change: cancel unsounded AI notes, or let them ring"
    )
    listen: ListenRaw | None = Field(None, description="What the AI listens to: sources, window, max_events")
    cadence: CadenceRaw | None = Field(
        None, description="When it answers: every | phrase_end | turns; overlap"
    )
    output: OutputRaw | None = Field(None, description="How much one answer plays: events, span, horizon")
    turns: TurnsRaw | None = Field(None, description="Trading only: bars per turn and who starts")
    filters: list[FilterRaw] | None = Field(None, description="Applied in order")


class SectionRaw(SettingsRaw):
    """One section of the running order."""

    name: str = Field(min_length=1, description="Unique name (for goto and the display)")
    mode: ModeName = Field(description="duet | ai_chords | ai_solo | trading | listen")
    length: LengthStr = Field(description="'8 bars', '32 beats', '45 s' or 'footswitch'")
    then: ThenField | None = Field(None, description="next (default) | loop | stop | {goto: SECTION}")
    model: ModelField | None = Field(None, description="Override the piece's model settings here")


class PieceFile(Strict):
    """A conductor piece: a concert plan for a musician and an AI, section by section."""

    title: str | None = Field(None, description="Shown on the display and in takes")
    tempo: float | None = Field(None, ge=20, le=400, description="Beats per minute; needed for bars/beats")
    meter: Meter | None = Field(None, description="'4/4' (default), '3/4', '6/8' ...")
    changes_on: Literal["now", "beat", "bar"] | None = Field(
        None, description="Where footswitch section changes land (default: bar)"
    )
    model: ModelField | None = Field(None, description="markov | skytnt | a mapping")
    midi: MidiRaw | None = Field(None, description="Ports (name substrings), AI channel and program")
    controls: list[ControlRaw] | None = Field(None, description="Footswitch/pad messages → actions")
    params: list[ParamRaw] | None = Field(None, description="Pedals/knobs → live parameters")
    recording: RecordingRaw | None = Field(None, description="Where takes are recorded")
    defaults: SettingsRaw | None = Field(None, description="Every section inherits these")
    sections: list[SectionRaw] = Field(min_length=1, description="The running order")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of piece files (for editors: `# yaml-language-server: $schema=...`)."""
    schema = PieceFile.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "conductor-piece", **schema}
