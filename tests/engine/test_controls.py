"""Footswitch/CC/note mappings: per-mapping debounce and confirm-to-stop, as exact lists."""

from __future__ import annotations

import mido

from conductor.engine.controls import Controls
from conductor.engine.take_events import PressIgnored, Stopped
from conductor.piece.compiled import ActionMapping, MidiTrigger
from conductor.piece.names import Action, TriggerKind
from tests.engine.pieces import piece, section
from tests.engine.test_engine import make, run_until

NEXT = ActionMapping(
    MidiTrigger(TriggerKind.CC, 80), Action.NEXT
)  # defaults: debounce 150 ms, confirm_stop 3 s
PANIC_NOTE = ActionMapping(MidiTrigger(TriggerKind.NOTE, 36, channel=9), Action.PANIC, debounce=0.08)


def cc(value: int, control: int = 80) -> mido.Message:
    return mido.Message("control_change", control=control, value=value)


Row = tuple[float, str | None, int | None]


def fire_all(
    controls: Controls, actions: tuple[ActionMapping, ...], timed: list[tuple[float, mido.Message]]
) -> list[Row]:
    """(t, action fired or None, bounce in ms or None) for every message."""
    out: list[Row] = []
    for t, msg in timed:
        fired = controls.fire(actions, msg, t)
        action = None if fired.mapping is None else fired.mapping.action.value
        bounce = None if fired.bounce is None else round(fired.bounce * 1000)
        out.append((t, action, bounce))
    return out


def test_a_chattering_pedal_fires_once_and_fires_again_after_a_quiet_gap() -> None:
    presses = [0.0, 0.04, 0.08, 0.12, 0.16, 0.5, 0.55]  # a 160 ms chatter, quiet, a bounce
    timed = [(t + dt, cc(v)) for t in presses for dt, v in ((0.0, 127), (0.01, 0))]
    got = [row for row in fire_all(Controls(), (NEXT,), timed) if row[1] is not None]
    assert got == [
        (0.0, "next", None),
        (0.04, "next", 40),
        (0.08, "next", 40),
        (0.12, "next", 40),
        (0.16, "next", 40),  # each bounce restarts the quiet period
        (0.5, "next", None),  # 340 ms of quiet: a real press
        (0.55, "next", 50),
    ]


def test_every_message_of_a_mapping_is_claimed_even_when_ignored() -> None:
    controls = Controls()
    releases = [controls.fire((NEXT,), cc(0), t).claimed for t in (0.01, 0.02)]
    played = controls.fire((NEXT,), cc(127, control=81), 0.03)
    assert releases == [True, True] and (played.mapping, played.claimed) == (None, False)


def test_debounce_is_per_mapping_and_can_be_off() -> None:
    off = ActionMapping(MidiTrigger(TriggerKind.CC, 81), Action.REGENERATE, debounce=0.0)
    note = mido.Message("note_on", note=36, channel=9, velocity=100)
    timed = [(0.0, cc(127)), (0.0, note), (0.0, cc(127, 81)), (0.05, cc(0)), (0.05, cc(0, 81)),
             (0.06, cc(127)), (0.06, note), (0.06, cc(127, 81)), (0.1, note)]  # fmt: skip
    assert fire_all(Controls(), (NEXT, PANIC_NOTE, off), timed) == [
        (0.0, "next", None),
        (0.0, "panic", None),
        (0.0, "regenerate", None),
        (0.05, None, None),
        (0.05, None, None),
        (0.06, "next", 60),
        (0.06, "panic", 60),
        (0.06, "regenerate", None),
        (0.1, "panic", 40),  # 40 ms after the bounce at 0.06: still within its 80 ms
    ]


def test_a_stop_needs_a_second_press_within_the_window() -> None:
    p = piece(section("a", length=None), section("b", length=None), actions=(NEXT,))
    clock, engine, take = make(p)
    presses = [1.0, 5.0, 9.0, 10.0]  # a→b; end asked; window (3 s) passed: asked again; confirmed
    run_until(clock, engine, 14.0, [(t + dt, cc(v)) for t in presses for dt, v in ((0.0, 127), (0.1, 0))])
    assert take.sections == [(0.0, "a"), (2.0, "b")]
    assert take.presses == [(1.0, "next", None), (10.0, "next", None)]
    ignored = [(t, e.why) for t, e in take.of(PressIgnored)]
    assert ignored == [(5.0, "confirm_stop"), (9.0, "confirm_stop")]
    assert engine.stopped and [t for t, _ in take.of(Stopped)] == [10.0]  # on the bar line


def test_the_display_can_say_how_long_the_confirmation_waits() -> None:
    controls = Controls()
    assert controls.confirm_left(0.0) is None
    assert controls.confirm_stop(NEXT, 5.0) is False
    assert (controls.confirm_left(6.0), controls.confirm_left(8.5)) == (2.0, None)


def test_without_confirmation_one_press_ends_the_piece() -> None:
    quick = ActionMapping(MidiTrigger(TriggerKind.CC, 80), Action.NEXT, confirm_stop=0.0)
    p = piece(section("a", length=None), actions=(quick,))
    clock, engine, take = make(p)
    run_until(clock, engine, 6.0, [(1.0, cc(127)), (1.1, cc(0))])
    assert take.presses == [(1.0, "next", None)]
    assert engine.stopped and [t for t, _ in take.of(Stopped)] == [2.0]


def test_previous_and_goto_never_ask_for_confirmation() -> None:
    back = ActionMapping(MidiTrigger(TriggerKind.CC, 81), Action.PREVIOUS)
    p = piece(section("a", length=None), section("b", length=None), actions=(NEXT, back))
    clock, engine, take = make(p)
    run_until(clock, engine, 6.0, [(1.0, cc(127)), (1.1, cc(0)), (3.0, cc(127, 81)), (3.1, cc(0, 81))])
    assert take.presses == [(1.0, "next", None), (3.0, "previous", None)]
    assert take.sections == [(0.0, "a"), (2.0, "b"), (4.0, "a")]
