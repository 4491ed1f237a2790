"""Scheduler: exact (time, message) lists for normal ends, re-strikes, cancel, panic and shutdown."""

from __future__ import annotations

import mido

from conductor.core.events import Note, Source
from conductor.engine.scheduler import Scheduler


def ai(onset: float, dur: float, pitch: int, vel: int = 80, ch: int = 2) -> Note:
    return Note(onset, dur, pitch, vel, ch, Source.AI)


def on(p: int, v: int = 80, ch: int = 2) -> mido.Message:
    return mido.Message("note_on", channel=ch, note=p, velocity=v)


def off(p: int, ch: int = 2) -> mido.Message:
    return mido.Message("note_off", channel=ch, note=p, velocity=0)


def test_normal_ends_in_time_order() -> None:
    s = Scheduler()
    s.add(ai(1.0, 0.5, 60), 1)
    s.add(ai(0.5, 1.0, 64), 1)
    assert s.due(0.4) == []
    assert s.next_deadline() == 0.5
    assert s.due(10) == [(0.5, on(64)), (1.0, on(60)), (1.5, off(60)), (1.5, off(64))]
    assert s.next_deadline() is None
    assert s.sounding() == []


def test_restrike_closes_the_old_note_first() -> None:
    s = Scheduler()
    s.add(ai(0.0, 2.0, 60), 1)
    s.add(ai(1.0, 0.5, 60, vel=90), 2)
    assert s.due(5) == [(0.0, on(60)), (1.0, off(60)), (1.0, on(60, 90)), (1.5, off(60))]


def test_note_off_before_note_on_at_the_same_time() -> None:
    s = Scheduler()
    s.add(ai(0.0, 1.0, 60), 1)
    s.add(ai(1.0, 1.0, 60), 1)
    assert s.due(5) == [(0.0, on(60)), (1.0, off(60)), (1.0, on(60)), (2.0, off(60))]


def test_cancel_drops_unsounded_and_closes_sounding() -> None:
    s = Scheduler()
    s.add(ai(0.0, 4.0, 60), 1)
    s.add(ai(2.0, 1.0, 62), 1)
    s.add(ai(0.5, 4.0, 67), 2)
    assert s.due(1.0) == [(0.0, on(60)), (0.5, on(67))]
    assert [n.pitch for n in s.sounding()] == [60, 67]
    assert s.cancel(1, 1.25) == [(1.25, off(60))]
    assert s.due(10) == [(1.25, off(60)), (4.5, off(67))]
    assert s.pending_count() == 0


def test_panic_and_close_all() -> None:
    s = Scheduler()
    s.add(ai(0.0, 4.0, 60), 1)
    s.add(ai(0.0, 4.0, 48, ch=3), 1)
    s.add(ai(3.0, 1.0, 62), 1)
    s.due(1.0)
    s.panic(2.0)
    cc = [mido.Message("control_change", channel=c, control=123, value=0) for c in (2, 3)]
    assert s.due(10) == [(2.0, off(60)), (2.0, off(48, ch=3)), (2.0, cc[0]), (2.0, cc[1])]
    s.add(ai(11.0, 1.0, 50), 4)
    s.due(11.0)
    s.close_all(11.5)
    assert s.due(20) == [(11.5, off(50))]


def test_finished_notes_are_as_played_and_busy_until() -> None:
    s = Scheduler()
    s.add(ai(0.0, 4.0, 60), 1)
    s.add(ai(1.0, 2.0, 64), 2)
    assert s.busy_until() == 4.0
    assert s.busy_until({2}) == 3.0
    s.due(1.0)
    s.cancel(1, 2.0)
    s.due(10)
    assert s.take_finished() == [ai(0.0, 2.0, 60), ai(1.0, 2.0, 64)]
    assert s.take_finished() == []
    assert s.busy_until() is None
