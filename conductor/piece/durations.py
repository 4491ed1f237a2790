"""Durations as musicians write them: `8 bars`, `32 beats`, `45 s`, `64 notes`, `footswitch`."""

from __future__ import annotations

import math
import re
from enum import Enum

from conductor.core.errors import ConductorError, too_long
from conductor.core.timebase import Span, Unit
from conductor.piece.errors import did_you_mean
from conductor.piece.limits import MAX_AMOUNT

UNIT_WORDS: dict[str, Unit] = {
    "bar": Unit.BARS,
    "bars": Unit.BARS,
    "beat": Unit.BEATS,
    "beats": Unit.BEATS,
    "s": Unit.SECONDS,
    "sec": Unit.SECONDS,
    "secs": Unit.SECONDS,
    "second": Unit.SECONDS,
    "seconds": Unit.SECONDS,
    "ms": Unit.SECONDS,
    "note": Unit.NOTES,
    "notes": Unit.NOTES,
}
FOOTSWITCH = "footswitch"
_SPAN = re.compile(r"^\s*(?P<amount>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>[A-Za-z]+)\s*$")


class SpanKind(Enum):
    """Where a duration is written, which decides the units it may use."""

    TIME = "a time: '2 bars', '8 beats' or '1.5 s'"
    WINDOW = "a window: '4 bars', '16 beats', '8 s' or '64 notes'"
    LENGTH = "a length: '8 bars', '32 beats', '45 s' or 'footswitch'"

    @property
    def units(self) -> tuple[Unit, ...]:
        if self is SpanKind.WINDOW:
            return (Unit.BARS, Unit.BEATS, Unit.SECONDS, Unit.NOTES)
        return (Unit.BARS, Unit.BEATS, Unit.SECONDS)


class SpanError(ConductorError, ValueError):
    """Raised by `parse_span` for a duration that cannot be read; carries what was expected and a
    possible correction (the schema turns it into a `PieceError`)."""

    def __init__(self, message: str, expected: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.expected = expected
        self.suggestion = suggestion


def _canonical(word: str, amount: float) -> str:
    unit = UNIT_WORDS[word]
    if unit is Unit.SECONDS:
        return word
    return unit.value[:-1] if amount == 1 else unit.value


def parse_span(value: object, kind: SpanKind) -> Span | None:
    """Read a duration. Returns None for `footswitch` (LENGTH only). Raises `SpanError`."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise SpanError(f"{too_long(repr(value))} is not a duration", kind.value)
    if isinstance(value, int | float):
        shown = too_long(str(value))
        raise SpanError(f"{shown} has no unit", kind.value, f"{shown} bars" if math.isfinite(value) else None)
    text = value.strip()
    if kind is SpanKind.LENGTH and text.lower() == FOOTSWITCH:
        return None
    match = _SPAN.match(text)
    if match is None and re.fullmatch(r"\s*\d+(\.\d*)?\s*", text):
        raise SpanError(
            f"'{too_long(text)}' has no unit", kind.value, f"{text} bars" if len(text) < 20 else None
        )
    if match is None:
        guess = did_you_mean(text, [FOOTSWITCH]) if kind is SpanKind.LENGTH and len(text) < 40 else None
        raise SpanError(f"'{too_long(str(value))}' is not a duration", kind.value, guess)
    amount, word = float(match["amount"]), match["unit"].lower()
    if amount > MAX_AMOUNT:  # 5000 digits read as a float are infinity
        raise SpanError(f"'{too_long(text)}' is out of range", f"{kind.value}, at most 4 hours")
    unit = UNIT_WORDS.get(word)
    if unit is None:
        guess = did_you_mean(word, [w for w, u in UNIT_WORDS.items() if u in kind.units])
        fix = f"{too_long(match['amount'])} {_canonical(guess, amount)}" if guess else None
        raise SpanError(f"'{too_long(word)}' is not a unit of time", kind.value, fix)
    if unit not in kind.units:
        raise SpanError(f"'{value}' counts notes, but a length of time is needed here", kind.value)
    if amount <= 0:
        raise SpanError(f"'{value}' is not longer than zero", kind.value)
    if word == "ms":
        amount /= 1000.0
    if unit is Unit.NOTES and not amount.is_integer():
        raise SpanError(f"'{value}' is not a whole number of notes", kind.value)
    return Span(amount, unit)


def span_text(span: Span | None) -> str:
    """A span as a musician writes it: `1 bar`, `8 bars`, `40 ms`, `footswitch` (for None)."""
    if span is None:
        return FOOTSWITCH
    amount = f"{span.amount:g}"
    if span.unit is Unit.SECONDS:
        return f"{span.amount * 1000:g} ms" if span.amount < 1 else f"{amount} s"
    word = span.unit.value
    return f"{amount} {word[:-1] if span.amount == 1 else word}"
