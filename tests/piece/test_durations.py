"""Durations, meters, keys and pitches as musicians write them."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conductor.core.timebase import Span, Unit
from conductor.piece.durations import SpanError, SpanKind, parse_span, span_text
from conductor.piece.values import parse_meter, parse_pitch


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("8 bars", Span(8, Unit.BARS)),
        ("1 bar", Span(1, Unit.BARS)),
        ("1.5 bars", Span(1.5, Unit.BARS)),
        ("32 beats", Span(32, Unit.BEATS)),
        ("1 beat", Span(1, Unit.BEATS)),
        ("45 s", Span(45, Unit.SECONDS)),
        ("45 sec", Span(45, Unit.SECONDS)),
        ("45s", Span(45, Unit.SECONDS)),
        ("2 seconds", Span(2, Unit.SECONDS)),
        ("50 ms", Span(0.05, Unit.SECONDS)),
        (" 4 Bars ", Span(4, Unit.BARS)),
    ],
)
def test_times(text: str, span: Span) -> None:
    assert parse_span(text, SpanKind.TIME) == span


def test_notes_only_for_windows_and_footswitch_only_for_lengths() -> None:
    assert parse_span("64 notes", SpanKind.WINDOW) == Span(64, Unit.NOTES)
    assert parse_span("footswitch", SpanKind.LENGTH) is None
    with pytest.raises(SpanError, match="counts notes"):
        parse_span("64 notes", SpanKind.TIME)
    with pytest.raises(SpanError, match="not a duration"):
        parse_span("footswitch", SpanKind.WINDOW)


@pytest.mark.parametrize(
    ("value", "message", "suggestion"),
    [
        ("8 brs", "'brs' is not a unit of time", "8 bars"),
        ("1 baar", "'baar' is not a unit of time", "1 bar"),
        ("8", "'8' has no unit", "8 bars"),
        (8, "8 has no unit", "8 bars"),
        ("0 bars", "is not longer than zero", None),
        ("2.5 notes", "not a whole number of notes", None),
        ("eight bars", "is not a duration", None),
        (True, "is not a duration", None),
    ],
)
def test_bad_durations(value: object, message: str, suggestion: str | None) -> None:
    kind = SpanKind.WINDOW if value == "2.5 notes" else SpanKind.TIME
    with pytest.raises(SpanError) as info:
        parse_span(value, kind)
    assert message in info.value.message and info.value.suggestion == suggestion


def test_span_text_is_what_a_musician_writes() -> None:
    assert [
        span_text(s) for s in (Span(1, Unit.BARS), Span(8, Unit.BARS), Span(0.05, Unit.SECONDS), None)
    ] == [
        "1 bar",
        "8 bars",
        "50 ms",
        "footswitch",
    ]


def test_meters_and_pitches() -> None:
    assert parse_meter("6/8") == (6, 8) and parse_meter(" 7 / 4 ") == (7, 4)
    for bad in ("4/5", "0/4", "four"):
        with pytest.raises(ValueError):
            parse_meter(bad)
    assert [parse_pitch(p) for p in ("C4", "A0", "C-1", "F#3", "Bb5", 60)] == [60, 21, 0, 54, 82, 60]
    with pytest.raises(ValueError):
        parse_pitch("C10")


@given(
    amount=st.one_of(st.integers(1, 512).map(float), st.sampled_from([0.5, 1.5, 2.25, 0.05, 0.125])),
    unit=st.sampled_from([Unit.BARS, Unit.BEATS, Unit.SECONDS]),
)
def test_span_text_reads_back_as_the_same_span(amount: float, unit: Unit) -> None:
    span = Span(amount, unit)
    again = parse_span(span_text(span), SpanKind.TIME)
    assert again is not None and again.unit is unit and math.isclose(again.amount, amount)
