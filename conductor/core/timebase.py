"""Musical time: spans in bars, beats, seconds or notes, and the tempo/meter that relates them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class Unit(StrEnum):
    """The unit of a `Span`. NOTES is only meaningful for listening windows."""

    BARS = "bars"
    BEATS = "beats"
    SECONDS = "s"
    NOTES = "notes"


@dataclass(frozen=True, slots=True)
class Timebase:
    """Tempo and meter. Logical time 0 is the downbeat of bar 1."""

    bpm: float = 120.0
    beats_per_bar: int = 4
    beat_unit: int = 4

    @property
    def seconds_per_beat(self) -> float:
        return 60.0 / self.bpm

    @property
    def seconds_per_bar(self) -> float:
        return self.seconds_per_beat * self.beats_per_bar

    def beats(self, seconds: float) -> float:
        """Beats elapsed at logical time `seconds`."""
        return seconds / self.seconds_per_beat

    def bars(self, seconds: float) -> float:
        """Bars elapsed at logical time `seconds`."""
        return seconds / self.seconds_per_bar

    def next_boundary(self, seconds: float, grid: str) -> float:
        """The first beat/bar boundary at or after `seconds` (grid: 'beat', 'bar' or 'now')."""
        if grid == "now":
            return seconds
        step = self.seconds_per_bar if grid == "bar" else self.seconds_per_beat
        k = math.ceil(seconds / step - 1e-9)
        return k * step


@dataclass(frozen=True, slots=True)
class Span:
    """An amount of musical time: `8 bars`, `32 beats`, `45 s`, or (windows only) `64 notes`."""

    amount: float
    unit: Unit

    def seconds(self, tb: Timebase) -> float:
        """This span in seconds under `tb`. Raises ValueError for a count of notes."""
        if self.unit is Unit.SECONDS:
            return self.amount
        if self.unit is Unit.BEATS:
            return self.amount * tb.seconds_per_beat
        if self.unit is Unit.BARS:
            return self.amount * tb.seconds_per_bar
        raise ValueError(f"{self} is a count of notes, not a length of time")

    def __str__(self) -> str:
        amount = int(self.amount) if float(self.amount).is_integer() else self.amount
        return f"{amount} {self.unit.value}"


def bar_origin(t: float, tb: Timebase) -> float:
    """The bar line at or before `t` (0.0 for times before the first bar)."""
    bar = tb.seconds_per_bar
    return max(0.0, math.floor(t / bar + 1e-9) * bar)
