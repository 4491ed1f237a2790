"""Notes cut by a reload, a section change, a cancel or a panic that lands on (or before) their start.

Live, the clock thread sends what is due while the engine thread may be late (a slow parse, a busy
core): a cut dated at a grid point can reach notes the clock thread has already started. None of
them may end before it began, or last no time at all — on the port or in the take.
"""

from __future__ import annotations

import mido
import pytest

from conductor.core.events import Note, Source
from conductor.engine.scheduler import MIN_NOTE_S, Scheduler
from conductor.engine.take_midi import TICKS_PER_BEAT
from conductor.piece.compiled import Action
from conductor.rehearse.take import Take
from tests.engine.pieces import bars, piece, section
from tests.engine.test_engine import make, run_until

Timed = tuple[float, mido.Message]


def spans(messages: list[Timed]) -> list[tuple[float, float]]:
    """(on, off) of every note, paired by channel and pitch in the order sent."""
    open_at: dict[tuple[int, int], float] = {}
    out = []
    for t, msg in messages:
        if msg.type not in ("note_on", "note_off"):
            continue
        key = (msg.channel, msg.note)
        if msg.type == "note_on" and msg.velocity > 0:
            assert key not in open_at, f"{key} struck twice at {t}"
            open_at[key] = t
        else:
            assert key in open_at, f"orphan note-off {key} at {t}"
            out.append((open_at.pop(key), t))
    assert not open_at, f"stuck notes: {open_at}"
    return out


def ticks(track: mido.MidiTrack) -> list[tuple[int, mido.Message]]:
    now, out = 0, []
    for msg in track:
        now += msg.time
        out.append((now, msg))
    return out


PIECE = piece(section("a", length=bars(8)), section("b", length=bars(8)))


def late_engine(cut: str) -> Take:
    """A piece playing; at 6.3 s a late engine thread handles a cut dated 6.0 s, after the clock thread
    has already sent the notes starting at 6.0 and 6.25 s. Returns the take."""
    clock, engine, take = make(PIECE)
    run_until(clock, engine, 5.95)
    assert engine.scheduler.pending_count() > 2  # the generation from 6.0 s is scheduled
    if cut == "reload":  # an edit of the section playing: its answer is cut
        engine.reload(piece(section("a", length=bars(9)), section("b", length=bars(8))), 5.95)
    elif cut == "next":
        engine.press(Action.NEXT, 5.95)
    clock.advance_to(6.3)
    sent = engine.drain(6.3)  # the clock thread, on time
    assert [round(t, 2) for t, m in sent if m.type == "note_on"] == [6.0, 6.25]
    if cut == "panic":
        engine.press(Action.PANIC, 6.0)
    engine.step(6.3)  # the engine thread, late: the cut is dated 6.0
    engine.drain(6.3)
    run_until(clock, engine, 11.0)
    engine.stop(11.0)
    engine.drain(99.0)
    return take


@pytest.mark.parametrize("cut", ["reload", "next", "panic"])
def test_a_late_cut_never_ends_a_note_before_it_began(cut: str) -> None:
    for on, off in spans(late_engine(cut).ai_messages):
        assert off >= on + MIN_NOTE_S - 1e-9, (cut, on, off)


@pytest.mark.parametrize("cut", ["reload", "next", "panic"])
def test_the_take_file_of_a_late_cut_has_every_note_on_before_its_off(cut: str) -> None:
    midi = late_engine(cut).to_midi(PIECE)
    ai = [(tick, m) for tick, m in ticks(midi.tracks[2]) if not m.is_meta]
    for on, off in spans([(float(tick), m) for tick, m in ai]):
        assert off > on, (cut, on, off)  # never zero ticks long


def ai(onset: float, dur: float, pitch: int) -> Note:
    return Note(onset, dur, pitch, 80, 2, Source.AI)


def test_cancel_at_a_note_s_start_drops_it_with_its_off_when_not_yet_sent() -> None:
    s = Scheduler()
    s.add(ai(1.0, 1.0, 60), 1)
    s.add(ai(1.0, 1.0, 64), 2)
    s.cancel(1, 1.0)
    assert [(t, m.type, m.note) for t, m in s.due(5.0)] == [(1.0, "note_on", 64), (2.0, "note_off", 64)]


def test_a_note_already_sent_when_its_cut_comes_lasts_the_shortest_note() -> None:
    s = Scheduler()
    s.add(ai(1.0, 1.0, 60), 1)
    s.due(1.0)
    assert s.cancel(1, 1.0)[0][0] == 1.0 + MIN_NOTE_S
    assert [t for t, _ in s.due(5.0)] == [1.0 + MIN_NOTE_S]
    assert [n.duration for n in s.take_finished()] == [pytest.approx(MIN_NOTE_S)]


def test_no_note_is_scheduled_without_length() -> None:
    s = Scheduler()
    s.add(ai(1.0, 0.0, 70), 1)
    assert s.due(5.0) == [
        (1.0, mido.Message("note_on", channel=2, note=70, velocity=80)),
        (1.0 + MIN_NOTE_S, mido.Message("note_off", channel=2, note=70, velocity=0)),
    ]


def test_a_unison_struck_twice_at_once_sounds_once_for_the_longer() -> None:
    s = Scheduler()
    s.add(ai(1.0, 0.5, 60), 1)
    s.add(ai(1.0, 2.0, 60), 1)
    sent = s.due(5.0)
    assert [(t, m.type) for t, m in sent] == [(1.0, "note_on"), (3.0, "note_off")]
    assert spans(sent) == [(1.0, 3.0)]


def test_midi_ticks_are_fine_enough_for_the_shortest_note() -> None:
    assert MIN_NOTE_S / (60.0 / 20) * TICKS_PER_BEAT > 1  # over a tick at the slowest tempo, 20 bpm
