"""Raw section settings (what `defaults` and each section may write): listen, cadence, output, turns,
filters. Part of the raw schema (see `conductor.piece.schema`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from conductor.core.events import Source
from conductor.piece.fieldtypes import (
    KeyName,
    Pitch,
    Strict,
    TimeStr,
    WindowStr,
    custom_error,
    forms,
)
from conductor.piece.names import (
    Answer,
    ExitPolicy,
    Feel,
    FilterKind,
    KeyAction,
    MelodyLine,
    Overlap,
    choices,
)
from conductor.piece.values import KEY_EXAMPLES

if TYPE_CHECKING:  # mypy reads each word as a string; pydantic checks it against the enum's words
    Who = str
    OverlapWord = str
    ExitWord = str
    FeelWord = str
    AnswerWord = str
    KeyActionWord = str
    MelodyWord = str
else:
    Who = choices(Source)
    OverlapWord = choices(Overlap)
    ExitWord = choices(ExitPolicy)
    FeelWord = choices(Feel)
    AnswerWord = choices(Answer)
    KeyActionWord = choices(KeyAction)
    MelodyWord = choices(MelodyLine)

# ---------------------------------------------------------------- section settings


class ListenRaw(Strict):
    """What the AI listens to for each generation."""

    sources: list[Who] | None = Field(None, min_length=1, description="human, ai (its own output)")
    window: WindowStr | None = Field(None, description="How far back: '4 bars', '8 s' or '64 notes'")
    max_events: int | None = Field(None, ge=1, le=4096, description="Most notes in the window")


if TYPE_CHECKING:
    FallbackForm = Any
else:
    FallbackForm = forms("a time such as '2 bars', or off", word=TimeStr, off=Literal[False])


class CadenceRaw(Strict):
    """When the AI answers: every N, at the human's phrase end, or at turns; and how answers overlap."""

    every: TimeStr | None = Field(None, description="Answer every '2 bars', '4 beats', '5 s'")
    phrase_end: TimeStr | None = Field(None, description="Answer after the human is silent this long")
    turns: bool | None = Field(None, description="Answer at the start of each AI turn (trading)")
    fallback: FallbackForm | None = Field(
        None,
        description="phrase_end only: also answer on the bar line this long after the last answer "
        "(default 2 bars), so a human who never rests still hears answers; off: never",
    )
    overlap: OverlapWord | None = Field(
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
    max_group: int | None = Field(None, ge=1, le=16, description="Most notes struck at once (default 8)")


class TurnsRaw(Strict):
    """Trading: bars per turn and who starts."""

    bars: int | None = Field(None, ge=1, le=64, description="Bars per turn (4: trading fours)")
    starts: Who | None = Field(None, description="human | ai")


class ChordsRaw(Strict):
    """Keep only chords: at least min_notes notes starting within window."""

    min_notes: int | None = Field(None, ge=2, le=12, description="Fewest notes in a chord")
    max_notes: int | None = Field(None, ge=2, le=16, description="Most notes in a chord (default 4)")
    spacing: int | None = Field(
        None, ge=1, le=12, description="Fewest semitones between a chord's notes (2; 1 allows seconds)"
    )
    window: TimeStr | None = Field(None, description="Onsets within this count as one chord ('50 ms')")


class DensityRaw(Strict):
    """Thin the AI's notes."""

    keep: float | None = Field(None, ge=0, le=1, description="Probability of keeping each note")
    max_per_second: float | None = Field(None, gt=0, le=1000, description="Most notes per second")
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

if TYPE_CHECKING:
    KeyForm = Any
    ChordsForm = Any
    MelodyForm = Any
    DensityForm = Any
    RangeForm = Any
    VelocityForm = Any
    HorizonForm = Any
else:
    KeyForm = forms(f"{KEY_EXAMPLES} or off", word=KeyName, off=Off)
    ChordsForm = forms(
        "{min_notes: .., window: ..}, a number of notes, or off", map=ChordsRaw, number=int, off=Off
    )
    MelodyForm = forms("highest, lowest, salient or off", word=MelodyWord, off=Off)
    DensityForm = forms(
        "{keep: .., max_per_second: ..}, a keep probability, or off", map=DensityRaw, number=float, off=Off
    )
    RangeForm = forms("{low: .., high: ..} or off", map=RangeRaw, off=Off)
    VelocityForm = forms("{scale: .., offset: ..}, a scale, or off", map=VelocityRaw, number=float, off=Off)
    HorizonForm = forms("a time such as '2 bars', or off", word=TimeStr, off=Off)


class FilterRaw(Strict):
    """One filter, named by its key. A section's filter replaces an inherited one of the same kind; `off`
    removes it; new kinds are added after the inherited ones."""

    key: KeyForm | None = Field(None, description="detect | a key such as 'D minor' | off")
    action: KeyActionWord | None = Field(None, description="key only: snap (default) or drop")
    chords: ChordsForm | None = Field(None, description="Only chords: {min_notes: 3, window: 50 ms}")
    melody: MelodyForm | None = Field(None, description="One line: highest | lowest | salient")
    density: DensityForm | None = Field(None, description="Thin out: {keep, max_per_second, complement}")
    range: RangeForm | None = Field(None, description="Pitch range: {low: C2, high: C6}")
    velocity: VelocityForm | None = Field(None, description="Velocity: {scale, offset, low, high}")
    horizon: HorizonForm | None = Field(None, description="Drop notes later than this after the trigger")

    @model_validator(mode="after")
    def _one_filter(self) -> FilterRaw:
        given = [k.value for k in FilterKind if getattr(self, k) is not None]
        if len(given) != 1:
            found = f"it names {' and '.join(given)}" if given else "it names none"
            raise custom_error(f"each filter item names exactly one filter; {found}", ", ".join(FilterKind))
        if self.action is not None and self.key is None:
            raise custom_error("action only applies to the key filter", "action next to key")
        return self


class SettingsRaw(Strict):
    """Settings a section inherits from `defaults` and may override key by key."""

    on_exit: ExitWord | None = Field(
        None, description="At a section change: cancel unsounded AI notes, or let them ring"
    )
    feel: FeelWord | None = Field(
        None, description="The AI's eighths on the human's tracked beat: straight, swing or follow (default)"
    )
    answer: AnswerWord | None = Field(
        None, description="How an answer uses the phrase just heard: develop | sequence | contrast | free"
    )
    listen: ListenRaw | None = Field(None, description="What the AI listens to: sources, window, max_events")
    cadence: CadenceRaw | None = Field(
        None, description="When it answers: every | phrase_end | turns; overlap"
    )
    output: OutputRaw | None = Field(None, description="How much one answer plays: events, span, horizon")
    turns: TurnsRaw | None = Field(None, description="Trading only: bars per turn and who starts")
    filters: list[FilterRaw] | None = Field(None, description="Applied in order")
