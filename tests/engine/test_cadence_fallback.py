"""A phrase-end section answers on the bar grid when the human never leaves the gap it waits for."""

from __future__ import annotations

import mido

from conductor.core.timebase import Span, Unit
from conductor.piece.compiled import OutputSpec, PhraseEnd
from tests.engine.pieces import bars, piece, section
from tests.engine.test_engine import balanced, make, run_until

BARS = 16


def legato_eighths(end: float) -> list[tuple[float, mido.Message]]:
    """A human who never rests: eighth notes (0.25 s at 120 bpm), each released after the next begins."""
    messages: list[tuple[float, mido.Message]] = []
    t, k = 0.0, 0
    while t < end:
        pitch = 60 + (k * 5) % 12
        messages.append((t, mido.Message("note_on", note=pitch, velocity=80)))
        messages.append((t + 0.3, mido.Message("note_off", note=pitch)))
        t, k = t + 0.25, k + 1
    return sorted(messages, key=lambda item: item[0])


def test_a_human_who_never_rests_still_hears_answers_in_every_two_bars() -> None:
    cadence = PhraseEnd(silence=Span(2, Unit.BEATS))  # the ai_solo example's cadence; fallback 2 bars
    ai = section("a", length=bars(BARS), cadence=cadence, output=OutputSpec(events=16, horizon=bars(2)))
    clock, engine, take = make(piece(ai))
    run_until(clock, engine, 2.0 * BARS, legato_eighths(2.0 * BARS))
    engine.stop(2.0 * BARS)
    engine.drain(2.0 * BARS)
    assert {g.reason for g in take.generations} == {"fallback"}  # the 2-beat gap never came
    onsets = [t for t, m in take.ai_messages if m.type == "note_on" and m.velocity > 0]
    windows = {int(t // 4.0) for t in onsets}  # two-bar windows (a bar is 2 s) with an AI note
    assert windows >= set(range(1, BARS // 2))  # every one after the first, which the human opens
    assert balanced(take.ai_messages)
