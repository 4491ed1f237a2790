"""Navigator: length quantised to the bar, `then:`, footswitch changes on the grid, reload by name."""

from __future__ import annotations

import math
from dataclasses import replace

from conductor.core.timebase import Span, Unit
from conductor.engine.navigator import MAX_CHANGES_AT_ONCE, Change, Navigator
from conductor.piece.compiled import Action, Then, ThenKind
from tests.engine.pieces import bars, piece, section


def three(changes_on: str = "bar") -> Navigator:
    return Navigator(
        piece(
            section("a", length=Span(7, Unit.BEATS)),  # quantised up to 2 bars
            section("b", length=None, then=Then(ThenKind.GOTO, "a")),
            section("c", length=bars(2), then=Then(ThenKind.STOP)),
            changes_on=changes_on,
        )
    )


def test_length_then_footswitch_then_stop() -> None:
    nav = three()
    assert nav.end_time() == 4.0
    assert nav.poll(3.9) is None
    assert nav.poll(4.0) == Change(4.0, 1, "length")
    assert nav.end_time() is None and nav.poll(100.0) is None
    assert nav.press(Action.NEXT, 9.0) == Change(10.0, 2, "next")
    assert nav.upcoming() is not None and nav.upcoming().name == "c"  # type: ignore[union-attr]
    assert nav.poll(10.0) == Change(10.0, 2, "next")
    assert nav.poll(14.0) == Change(14.0, None, "length")
    assert nav.section is None


def test_presses_accumulate_and_land_on_the_beat() -> None:
    nav = three("beat")
    nav.press(Action.NEXT, 0.1)
    assert nav.press(Action.NEXT, 0.2) == Change(0.5, 2, "next")
    assert nav.press(Action.PREVIOUS, 0.3) == Change(0.5, 1, "previous")
    assert nav.press(Action.GOTO, 0.3, "nowhere") is None
    assert nav.press(Action.GOTO, 0.3, "a") == Change(0.5, 0, "goto")
    assert nav.press(Action.PANIC, 0.3) is None


def test_then_goto_and_loop() -> None:
    nav = three()
    nav.poll(4.0)
    nav.press(Action.PREVIOUS, 4.5)
    assert nav.poll(6.0) == Change(6.0, 0, "previous")
    looped = Navigator(piece(section("x", length=bars(1), then=Then(ThenKind.LOOP))))
    assert looped.poll(2.0) == Change(2.0, 0, "length")
    assert looped.poll(4.0) == Change(4.0, 0, "length")


def test_reload_keeps_the_section_by_name_and_its_start() -> None:
    nav = three()
    nav.poll(4.0)
    old = nav.piece
    renamed = replace(old, sections=(old.sections[2], replace(old.sections[1], index=1)))
    nav.reload(renamed)
    assert (nav.index, nav.started_at, nav.section.name if nav.section else None) == (1, 4.0, "b")


def test_a_section_started_a_hair_late_still_ends_on_its_own_bar_line() -> None:
    # the real clock starts the piece at t = 37 µs, not 0: a 2-bar section still ends at 4.0 s
    late = Navigator(piece(section("a", length=bars(2)), section("b", length=bars(1))), start=3.7e-5)
    assert late.end_time() == 4.0
    # started well into a bar (a footswitch with changes_on: now), it ends on the next bar line
    mid = Navigator(piece(section("a", length=bars(2)), section("b", length=bars(1))), start=0.9)
    assert mid.end_time() == 6.0


# ---------------------------------------------------------------- never spins, whatever it is handed


def polls_until_none(nav: Navigator, t: float) -> list[Change]:
    """What the engine does at each step: poll until nothing more is due (bounded here for the test)."""
    changes = []
    for _ in range(1000):
        change = nav.poll(t)
        if change is None:
            return changes
        changes.append(change)
    raise AssertionError("the navigator is still changing sections after 1000 polls at one instant")


def test_a_zero_or_tiny_looping_section_lasts_to_the_next_bar_line() -> None:
    for length in (Span(0.001, Unit.SECONDS), Span(0, Unit.SECONDS), Span(1e-12, Unit.BARS)):
        nav = Navigator(piece(section("x", length=length, then=Then(ThenKind.LOOP))))
        assert nav.end_time() == 2.0  # one bar at 120 bpm, not 0
        assert polls_until_none(nav, 2.0) == [Change(2.0, 0, "length")]
        assert polls_until_none(nav, 9.0) == [Change(4.0, 0, "length"), Change(6.0, 0, "length"),
                                              Change(8.0, 0, "length")]  # fmt: skip


def test_a_cycle_of_tiny_sections_advances_a_bar_per_section() -> None:
    tiny = Span(0.001, Unit.SECONDS)
    back = Then(ThenKind.GOTO, "a")
    nav = Navigator(piece(section("a", length=tiny), section("b", length=tiny, then=back)))
    changes = polls_until_none(nav, 7.0)
    assert [(c.at, c.index) for c in changes] == [(2.0, 1), (4.0, 0), (6.0, 1)]


def test_lengths_that_are_no_time_wait_for_the_footswitch() -> None:
    for length in (Span(math.inf, Unit.BARS), Span(math.nan, Unit.SECONDS), Span(64, Unit.NOTES)):
        nav = Navigator(piece(section("x", length=length, then=Then(ThenKind.LOOP))))
        assert nav.end_time() is None and polls_until_none(nav, 1e9) == []
        assert nav.press(Action.NEXT, 1.0) == Change(2.0, None, "next")
    broken = Navigator(piece(section("x")), start=math.inf)
    assert broken.end_time() is None and polls_until_none(broken, 10.0) == []


def test_one_instant_applies_at_most_a_bounded_number_of_changes() -> None:
    # a piece no validation would pass: a zero-length loop at an instant so large that a bar is lost
    # in the float's precision; one instant still ends after MAX_CHANGES_AT_ONCE changes
    nav = Navigator(piece(section("x", length=Span(0, Unit.SECONDS), then=Then(ThenKind.LOOP))), start=1e20)
    assert len(polls_until_none(nav, 1e20)) == MAX_CHANGES_AT_ONCE
    assert len(polls_until_none(nav, 1e20 + 1e5)) <= MAX_CHANGES_AT_ONCE  # time moved on: changes go on


def test_the_engine_steps_through_a_hostile_piece_without_spinning() -> None:
    from conductor.backends.factory import build_model
    from conductor.engine.clock import VirtualClock
    from conductor.engine.engine import Engine
    from conductor.engine.runner import InlineRunner
    from conductor.engine.timing import Latency

    hostile = piece(section("x", length=Span(0.0, Unit.SECONDS), then=Then(ThenKind.LOOP)),
                    section("y", length=Span(math.inf, Unit.BARS)))  # fmt: skip
    clock = VirtualClock()
    engine = Engine(hostile, clock, InlineRunner(lambda spec: build_model(spec, None), clock, Latency()))
    wakes = 0
    t = 0.0
    while t < 20.0 and wakes < 500:
        nxt = engine.step(t)
        engine.drain(t)
        t = min(x for x in (nxt, engine.scheduler.next_deadline(), t + 1.0) if x is not None)
        clock.advance_to(t)
        wakes += 1
    assert t >= 20.0 and engine.section is not None and engine.section.name == "x"
