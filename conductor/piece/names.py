"""The words of the piece language, each defined once: the schema, the compiler and the engine use these.

A `StrEnum` member is its word (`Mode.AI_CHORDS == "ai_chords"`), so a compiled piece compares with
plain strings and prints as the musician wrote it. The raw schema validates strictly (a YAML value is
a string, never an enum member), so it takes `choices(...)`: the `Literal` of an enum's words, in the
enum's order (the order its error messages list them in).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal


def choices(enum: type[StrEnum], *leave_out: StrEnum) -> Any:
    """`Literal['a', 'b', ...]` of `enum`'s words in definition order, without `leave_out`."""
    return Literal[tuple(member.value for member in enum if member not in leave_out)]


class Mode(StrEnum):
    """A section's interaction mode (docs/piece-language.md)."""

    DUET = "duet"
    AI_CHORDS = "ai_chords"
    AI_SOLO = "ai_solo"
    TRADING = "trading"
    LISTEN = "listen"


class Action(StrEnum):
    """What a footswitch or pad does (`controls:`); `goto` is written `{goto: SECTION}`."""

    NEXT = "next"
    PREVIOUS = "previous"
    GOTO = "goto"
    PANIC = "panic"
    HOLD = "hold"  # toggle: AI keeps listening but stops answering
    MUTE = "mute"  # toggle: AI output silenced at once
    REGENERATE = "regenerate"  # answer now


class Param(StrEnum):
    """A live parameter a pedal or knob sets (`params:`)."""

    TEMPERATURE = "temperature"
    TOP_P = "top_p"
    DENSITY = "density"
    VELOCITY = "velocity"


class ThenKind(StrEnum):
    """What follows a section when its length runs out."""

    NEXT = "next"
    GOTO = "goto"
    LOOP = "loop"
    STOP = "stop"


class Grid(StrEnum):
    """Where footswitch section changes (and hot reloads) land: `changes_on`."""

    NOW = "now"
    BEAT = "beat"
    BAR = "bar"


class Overlap(StrEnum):
    """How a new answer meets the previous one."""

    WAIT = "wait"  # no new generation until the previous output has finished sounding
    OVERLAP = "overlap"  # new output plays on top of what is still pending
    REPLACE = "replace"  # new output replaces what has not sounded yet


class Feel(StrEnum):
    """Where the AI's eighths fall on the beat the human is tracked playing (`conductor.core.beats`)."""

    STRAIGHT = "straight"  # even eighths, on the tracked beat
    SWING = "swing"  # swung eighths: the human's swing ratio, or 2:1 while the human plays straight
    FOLLOW = "follow"  # the human's: swung when the human swings, straight when not


class ExitPolicy(StrEnum):
    """What happens to a section's AI output when the section ends."""

    CANCEL = "cancel"  # unsounded notes are dropped, sounding ones closed at the change
    RING = "ring"  # pending output plays out


class Answer(StrEnum):
    """How an answer uses the turn / phrase just heard (`conductor.backends.answers`)."""

    DEVELOP = "develop"  # reuse its intervals and rhythm cells
    SEQUENCE = "sequence"  # its opening motif a scale step up, then develop it
    CONTRAST = "contrast"  # another register, the contour inverted, other rhythm cells
    FREE = "free"  # no bias: the model's own continuation


class FilterKind(StrEnum):
    """The filters, by the key that names each in a `filters:` item."""

    KEY = "key"
    CHORDS = "chords"
    MELODY = "melody"
    DENSITY = "density"
    RANGE = "range"
    VELOCITY = "velocity"
    HORIZON = "horizon"


class KeyAction(StrEnum):
    """What the key filter does with a note outside the key."""

    SNAP = "snap"
    DROP = "drop"


class MelodyLine(StrEnum):
    """Which note of each moment the melody filter keeps."""

    HIGHEST = "highest"
    LOWEST = "lowest"
    SALIENT = "salient"


class TriggerKind(StrEnum):
    """The MIDI message a control is: a control change, a note-on or a program change."""

    CC = "cc"
    NOTE = "note"
    PROGRAM = "program"


class ModelKind(StrEnum):
    """Which backend plays."""

    MARKOV = "markov"
    SKYTNT = "skytnt"
    SCRIPTED = "scripted"  # tests


class Dtype(StrEnum):
    """The precision of a transformer's weights."""

    FLOAT32 = "float32"
    BFLOAT16 = "bfloat16"
    FLOAT16 = "float16"
    INT8 = "int8"


class TokenizerName(StrEnum):
    """A SkyTNT tokenizer (v2o: v2 with optimise_midi)."""

    V1 = "v1"
    V2 = "v2"
    V2O = "v2o"
