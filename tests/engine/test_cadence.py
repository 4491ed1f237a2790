"""Cadence: exact triggers for every-N, phrase end and trading turns; the overlap policies."""

from __future__ import annotations

from conductor.core.events import Source
from conductor.core.timebase import Span, Unit
from conductor.engine.cadence import Cadence, Trigger, allowed
from conductor.piece.compiled import PhraseEnd
from conductor.piece.names import Overlap
from tests.engine.pieces import TB, section, trading


def test_every_bar_lands_on_the_grid_and_skips_blocked_points() -> None:
    cadence = Cadence(section("a"), TB, 0.0, lead=0.1)
    assert cadence.next_time() == 1.9
    assert cadence.poll(1.8, held=False, running=False, sounding=False) is None
    assert cadence.poll(1.9, held=False, running=False, sounding=False) == Trigger(
        1.9, 2.0, 4.0, False, "every"
    )
    assert cadence.poll(1.95, held=False, running=False, sounding=False) is None
    assert cadence.poll(3.9, held=False, running=False, sounding=True) is None  # wait: skipped
    assert cadence.next_time() == 5.9
    assert cadence.poll(6.0, held=False, running=False, sounding=False) == Trigger(
        5.9, 6.0, 8.0, False, "every"
    )


def test_phrase_end_fires_once_per_phrase_after_the_silence() -> None:
    spec = PhraseEnd(silence=Span(1, Unit.BEATS))
    cadence = Cadence(section("a", cadence=spec), TB, 0.0, lead=0.1)
    assert cadence.next_time() is None
    cadence.heard()
    cadence.heard(1.0)
    assert cadence.next_time() == 1.5
    assert cadence.poll(1.4, held=False, running=False, sounding=False) is None
    assert cadence.poll(1.5, held=True, running=False, sounding=False) is None  # a note is held
    expected = Trigger(1.5, 2.0, 4.0, False, "phrase_end")
    assert cadence.poll(1.5, held=False, running=False, sounding=False) == expected
    assert cadence.poll(3.0, held=False, running=False, sounding=False) is None


def test_turns_fit_the_ai_turn_exactly() -> None:
    cadence = Cadence(trading(turn_bars=1), TB, 0.0, lead=0.1)
    assert cadence.next_time() == 1.9
    assert cadence.poll(1.0, held=False, running=False, sounding=False) is None
    assert cadence.poll(1.9, held=False, running=True, sounding=True) == Trigger(1.9, 2.0, 4.0, True, "turn")
    assert cadence.next_time() == 5.9
    assert [cadence.turn_owner(t) for t in (0.5, 2.5, 4.5, 6.5)] == [
        Source.HUMAN,
        Source.AI,
        Source.HUMAN,
        Source.AI,
    ]


def test_ai_first_turns() -> None:
    cadence = Cadence(trading(turn_bars=2, starts=Source.AI), TB, 8.0, lead=0.1)
    assert cadence.poll(8.0, held=False, running=False, sounding=False) == Trigger(
        8.0, 8.0, 12.0, True, "turn"
    )
    assert cadence.next_time() == 15.9


def test_resume_skips_the_past() -> None:
    cadence = Cadence(section("a"), TB, 0.0, lead=0.1)
    cadence.resume(5.0)
    assert cadence.next_time() == 5.9


def test_manual_trigger_lands_on_the_grid() -> None:
    cadence = Cadence(section("a"), TB, 0.0, lead=0.1)
    assert cadence.manual(2.7, "beat") == Trigger(2.9, 3.0, 5.0, False, "regenerate")


def test_overlap_policies() -> None:
    table = {
        (policy, running, sounding): allowed(policy, running, sounding)
        for policy in Overlap
        for running in (False, True)
        for sounding in (False, True)
    }
    assert [k for k, v in table.items() if v] == [
        (Overlap.WAIT, False, False),
        (Overlap.OVERLAP, False, False),
        (Overlap.OVERLAP, False, True),
        (Overlap.REPLACE, False, False),
        (Overlap.REPLACE, False, True),
        (Overlap.REPLACE, True, False),
        (Overlap.REPLACE, True, True),
    ]


def test_phrase_end_falls_back_to_the_bar_grid_when_the_human_never_rests() -> None:
    spec = PhraseEnd(silence=Span(2, Unit.BEATS), fallback=Span(2, Unit.BARS))
    cadence = Cadence(section("a", cadence=spec), TB, 0.0, lead=0.1)
    cadence.heard()  # a note begins, and the human keeps playing: no 2-beat gap ever
    assert cadence.next_time() == 3.9  # the bar line 2 bars after the section's start, less the lead
    assert cadence.poll(3.8, held=True, running=False, sounding=False) is None
    assert cadence.poll(3.9, held=True, running=False, sounding=False) == Trigger(
        3.9, 4.0, 6.0, False, "fallback"
    )
    assert cadence.next_time() == 7.9  # 2 bars after that answer's start
    assert cadence.poll(7.9, held=True, running=False, sounding=True) is None  # wait: that bar skipped
    assert cadence.next_time() == 9.9
    assert cadence.poll(9.9, held=True, running=False, sounding=False) == Trigger(
        9.9, 10.0, 12.0, False, "fallback"
    )


def test_a_phrase_end_answer_restarts_the_fallback_and_off_disables_it() -> None:
    spec = PhraseEnd(silence=Span(1, Unit.BEATS))
    cadence = Cadence(section("a", cadence=spec), TB, 0.0, lead=0.1)
    cadence.heard()
    cadence.heard(2.5)
    assert cadence.poll(3.0, held=False, running=False, sounding=False) == Trigger(
        3.0, 3.5, 5.5, False, "phrase_end"
    )
    assert cadence.next_time() == 7.9  # the first bar line 2 bars after 3.5
    off = Cadence(section("a", cadence=PhraseEnd(fallback=None)), TB, 0.0, lead=0.1)
    off.heard()
    assert off.next_time() is None
    assert off.poll(100.0, held=True, running=False, sounding=False) is None
