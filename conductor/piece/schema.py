"""The raw piece file as written, as a pydantic v2 schema: unknown keys are errors.

This is the shape of the YAML only (and the source of `conductor schema`); resolution of mode
defaults and all cross-checks happen in `conductor.piece.compile`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from conductor.piece.fieldtypes import (
    Channel,
    LengthStr,
    Meter,
    MidiNumber,
    Strict,
    TimeStr,
    custom_error,
    forms,
)
from conductor.piece.limits import MAX_SEED
from conductor.piece.names import (
    Action,
    Dtype,
    Grid,
    Mode,
    ModelKind,
    Param,
    ThenKind,
    TokenizerName,
    choices,
)
from conductor.piece.osc import OscAddress, OscRaw
from conductor.piece.settings import SettingsRaw

ACTION_WORDS = tuple(a.value for a in Action if a is not Action.GOTO)  # goto is written {goto: SECTION}

if TYPE_CHECKING:  # mypy reads each word as a string; pydantic checks it against the enum's words
    ModeWord = str
    ActionWord = str
    ParamWord = str
    ThenWord = str
    GridWord = str
    ModelKindWord = str
    DtypeWord = str
    TokenizerWord = str
else:
    ModeWord = choices(Mode)
    ActionWord = choices(Action)  # a bare `goto` only for osc: the section comes with the message
    ParamWord = choices(Param)
    ThenWord = choices(ThenKind, ThenKind.GOTO)
    GridWord = choices(Grid)
    ModelKindWord = choices(ModelKind)
    DtypeWord = choices(Dtype)
    TokenizerWord = choices(TokenizerName)


# ---------------------------------------------------------------- model


class SamplingRaw(Strict):
    """Sampling settings of each generation."""

    temperature: float | None = Field(None, gt=0, le=5, description="Randomness; 1.0 is neutral")
    top_p: float | None = Field(None, gt=0, le=1, description="Nucleus sampling: keep this much mass")
    top_k: int | None = Field(None, ge=0, description="Keep the k most likely tokens (0: all)")
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="Random seed for repeatable takes")


class MarkovRaw(Strict):
    """Options of the Markov model."""

    order: int | None = Field(None, ge=1, le=16, description="How many previous notes predict the next")
    seed: list[str] | None = Field(None, description="MIDI files or 'corpus:NAME' (e.g. 'corpus:bach')")
    seed_weight: float | None = Field(None, ge=0, le=1, description="0: only what it hears; 1: only seed")
    learn_from_ai: bool | None = Field(None, description="Also learn from its own output")
    state: str | None = Field(None, description="A saved Markov model to load and keep learning")
    follow: bool | None = Field(None, description="Continue from the human's latest notes")
    transpose_away: int | None = Field(None, ge=-48, le=48, description="Semitones away from the human")
    complement: bool | None = Field(None, description="Play sparser when the human is busy")


class ModelRaw(Strict):
    """Which model plays and how it samples (a section may override any of it)."""

    kind: ModelKindWord | None = Field(None, description="markov | skytnt | scripted (tests)")
    checkpoint: str | None = Field(None, description="Folder or .ckpt file, relative to the piece")
    lora: str | None = Field(
        None, description="LoRA adapter folder (peft's shape), relative to the piece: merged onto checkpoint"
    )
    config: str | None = Field(None, description="Named config for a random model ('tv2o-medium')")
    tokenizer: TokenizerWord | None = Field(None, description="None: from the checkpoint")
    device: str | None = Field(None, pattern=r"^(cpu|cuda(:\d+)?|mps)$", description="cpu | cuda | cuda:1")
    dtype: DtypeWord | None = Field(
        None, description="Weights' precision (float16: half the memory traffic, same sampling)"
    )
    sampling: SamplingRaw | None = Field(None, description="temperature, top_p, top_k, seed")
    markov: MarkovRaw | None = Field(None, description="Markov options: order, seed corpus, ...")


if TYPE_CHECKING:
    ModelField = Any
else:
    ModelField = forms("a model name (markov, skytnt) or a mapping", word=ModelKindWord, map=ModelRaw)

# ---------------------------------------------------------------- routing and mappings


class MidiRaw(Strict):
    """MIDI ports (matched by name substring) and the AI's channel and sound."""

    input: str | None = Field(None, description="Keyboard port name (substring)")
    output: str | None = Field(None, description="Sound module port name (substring)")
    footswitch: str | None = Field(None, description="Separate footswitch/controller port (substring)")
    clock: str | None = Field(
        None, description="MIDI clock source port (substring): its tempo and beats lead"
    )
    ai_channel: Channel | None = Field(None, description="AI output channel, 1..16")
    program: int | None = Field(None, ge=1, le=128, description="GM program 1..128 sent at start")


class GotoRaw(Strict):
    """Jump to a named section."""

    goto: str = Field(min_length=1, description="Name of a section")


if TYPE_CHECKING:
    ActionField = Any
else:
    ActionField = forms(
        f"one of {', '.join(ACTION_WORDS)} or {{goto: SECTION}}", word=ActionWord, map=GotoRaw
    )

if TYPE_CHECKING:
    ControlTime = Any
else:
    ControlTime = forms("a time such as '80 ms' or '2 s', or off", word=TimeStr, off=Literal[False])

if TYPE_CHECKING:
    ThenField = Any
else:
    ThenField = forms("next, loop, stop or {goto: SECTION}", word=ThenWord, map=GotoRaw)


class ControlRaw(Strict):
    """A footswitch or pad message (one of cc, note, program) or an OSC address, and the action it fires."""

    cc: MidiNumber | None = Field(None, description="Control change number (fires on crossing threshold)")
    note: MidiNumber | None = Field(None, description="Note number (fires on note-on)")
    program: MidiNumber | None = Field(None, description="Program change number")
    osc: OscAddress | None = Field(None, description="OSC address (fires on no argument or a number not 0)")
    channel: Channel | None = Field(None, description="Only on this channel (1..16); omitted: any")
    threshold: int | None = Field(None, ge=1, le=127, description="cc only: fires when crossing up (64)")
    action: ActionField = Field(
        description="next | previous | panic | hold | mute | regenerate | {goto: X} | goto (osc: name sent)"
    )
    debounce: ControlTime | None = Field(
        None, description="A second firing within this is a bounce, ignored ('80 ms'; default 150 ms; off)"
    )
    confirm_stop: ControlTime | None = Field(
        None, description="next only: ending the piece needs a second press within this (default 3 s; off)"
    )

    @model_validator(mode="after")
    def _one_trigger(self) -> ControlRaw:
        given = [k for k in ("cc", "note", "program", "osc") if getattr(self, k) is not None]
        if len(given) != 1:
            found = f"it has {' and '.join(given)}" if given else "it has none"
            raise custom_error(
                f"a control needs exactly one message; {found}", "one of cc, note, program, osc"
            )
        if self.osc is not None and self.channel is not None:
            raise custom_error("channel only applies to a MIDI control, not to osc", "osc without channel")
        if self.action == "goto" and self.osc is None:
            raise custom_error("a MIDI control's goto names its section", "{goto: SECTION}")
        if self.threshold is not None and self.cc is None:
            raise custom_error("threshold only applies to a cc control", "threshold with cc")
        if self.confirm_stop is not None and self.action != "next":
            raise custom_error(
                "confirm_stop only applies to a next control", "confirm_stop with action: next"
            )
        return self


class ParamRaw(Strict):
    """A continuous controller (pedal, knob) or an OSC fader that sets a live parameter within a range."""

    cc: MidiNumber | None = Field(None, description="Control change number")
    osc: OscAddress | None = Field(None, description="OSC address sending one number 0..1 (a fader)")
    channel: Channel | None = Field(None, description="Only on this channel (1..16); omitted: any")
    param: ParamWord = Field(description="What it sets")
    range: list[float] = Field(
        min_length=2, max_length=2, description="[value at 0, value at 127 (cc) or at 1.0 (osc)]"
    )

    @model_validator(mode="after")
    def _one_source(self) -> ParamRaw:
        if (self.cc is None) == (self.osc is None):
            found = "it has both" if self.cc is not None else "it has neither"
            raise custom_error(f"a param needs a cc or an osc address; {found}", "one of cc, osc")
        if self.osc is not None and self.channel is not None:
            raise custom_error("channel only applies to a cc param, not to osc", "osc without channel")
        return self


class RecordingRaw(Strict):
    """Where takes are written."""

    folder: str | None = Field(None, description="Folder for takes, relative to the piece")
    enabled: bool | None = Field(None, description="Record takes (default true)")


class SectionRaw(SettingsRaw):
    """One section of the running order."""

    name: str = Field(min_length=1, max_length=100, description="Unique name (for goto and the display)")
    mode: ModeWord = Field(description="duet | ai_chords | ai_solo | trading | listen")
    length: LengthStr = Field(description="'8 bars', '32 beats', '45 s' or 'footswitch'")
    then: ThenField | None = Field(None, description="next (default) | loop | stop | {goto: SECTION}")
    model: ModelField | None = Field(None, description="Override the piece's model settings here")


class PieceFile(Strict):
    """A conductor piece: a concert plan for a musician and an AI, section by section."""

    title: str | None = Field(None, max_length=200, description="Shown on the display and in takes")
    tempo: float | None = Field(None, ge=20, le=400, description="Beats per minute; needed for bars/beats")
    meter: Meter | None = Field(None, description="'4/4' (default), '3/4', '6/8' ...")
    changes_on: GridWord | None = Field(
        None, description="Where footswitch section changes land (default: bar)"
    )
    model: ModelField | None = Field(None, description="markov | skytnt | a mapping")
    midi: MidiRaw | None = Field(None, description="Ports (name substrings), AI channel and program")
    controls: list[ControlRaw] | None = Field(None, description="Footswitch/pad messages → actions")
    params: list[ParamRaw] | None = Field(None, description="Pedals/knobs → live parameters")
    recording: RecordingRaw | None = Field(None, description="Where takes are recorded")
    osc: OscRaw | None = Field(None, description="OSC: the port to listen on, where to send the state")
    defaults: SettingsRaw | None = Field(None, description="Every section inherits these")
    sections: list[SectionRaw] = Field(min_length=1, description="The running order")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of piece files (for editors: `# yaml-language-server: $schema=...`)."""
    schema = PieceFile.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
