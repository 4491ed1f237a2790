"""Navigator: length quantised to the bar, `then:`, footswitch changes on the grid, reload by name."""

from __future__ import annotations

from dataclasses import replace

from conductor.core.timebase import Span, Unit
from conductor.engine.navigator import Change, Navigator
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
