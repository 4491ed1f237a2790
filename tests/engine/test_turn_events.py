"""A trading answer's event budget fills the whole turn."""

from __future__ import annotations

from conductor.core.timebase import Timebase
from conductor.engine.context import turn_events

TB = Timebase(96.0, 4, 4)


def test_a_four_bar_turn_may_decode_four_events_a_beat() -> None:
    turn = 16 * TB.seconds_per_beat
    assert turn_events(32, 50.0, 50.0 + turn, TB) == 64
    assert turn_events(100, 50.0, 50.0 + turn, TB) == 100  # never fewer than the section asks for
    assert turn_events(8, 0.0, 0.0, TB) == 8
