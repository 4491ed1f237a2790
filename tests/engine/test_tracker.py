"""NoteTracker: raw messages → notes, with exact expected notes for each rule."""

from __future__ import annotations

import mido

from conductor.core.events import Note, Source
from conductor.engine.tracker import NoteTracker


def on(pitch: int, velocity: int = 100, channel: int = 0) -> mido.Message:
    return mido.Message("note_on", note=pitch, velocity=velocity, channel=channel)


def off(pitch: int, channel: int = 0) -> mido.Message:
    return mido.Message("note_off", note=pitch, channel=channel)


def pedal(value: int, channel: int = 0) -> mido.Message:
    return mido.Message("control_change", control=64, value=value, channel=channel)


def play(tracker: NoteTracker, events: list[tuple[float, mido.Message]]) -> list[Note]:
    out: list[Note] = []
    for t, msg in events:
        out.extend(tracker.feed(msg, t))
    return out


def test_note_on_then_off_gives_one_note() -> None:
    tracker = NoteTracker()
    assert play(tracker, [(1.0, on(60, 90)), (1.5, off(60))]) == [Note(1.0, 0.5, 60, 90, 0, Source.HUMAN)]


def test_velocity_zero_note_on_is_a_note_off() -> None:
    tracker = NoteTracker(source=Source.AI)
    notes = play(tracker, [(0.0, on(64, 80, channel=2)), (0.25, on(64, 0, channel=2))])
    assert notes == [Note(0.0, 0.25, 64, 80, 2, Source.AI)]
    assert tracker.held(1.0) == []


def test_second_note_on_closes_the_first_and_starts_again() -> None:
    tracker = NoteTracker()
    notes = play(tracker, [(0.0, on(60, 70)), (0.5, on(60, 110)), (0.75, off(60))])
    assert notes == [Note(0.0, 0.5, 60, 70), Note(0.5, 0.25, 60, 110)]


def test_note_off_without_note_on_is_ignored_and_counted() -> None:
    tracker = NoteTracker()
    assert play(tracker, [(0.0, off(60)), (0.1, on(61, 0))]) == []
    assert tracker.stray_offs == 2
    # a double note-off: the second one is stray
    assert play(tracker, [(1.0, on(62)), (1.25, off(62)), (1.5, off(62))]) == [Note(1.0, 0.25, 62, 100)]
    assert tracker.stray_offs == 3


def test_sustain_pedal_holds_released_notes_until_pedal_up() -> None:
    tracker = NoteTracker()
    events = [
        (0.0, pedal(127)),
        (0.0, on(60)),
        (0.5, off(60)),  # held by the pedal
        (1.0, on(64)),  # key still down at pedal up: keeps sounding
        (2.0, pedal(0)),
    ]
    assert play(tracker, events) == [Note(0.0, 2.0, 60, 100)]
    assert tracker.held(2.5) == [Note(1.0, 1.5, 64, 100)]
    assert play(tracker, [(3.0, off(64))]) == [Note(1.0, 2.0, 64, 100)]


def test_pedal_threshold_is_64() -> None:
    tracker = NoteTracker()
    events = [(0.0, pedal(63)), (0.0, on(60)), (0.5, off(60))]
    assert play(tracker, events) == [Note(0.0, 0.5, 60, 100)]
    events = [(1.0, pedal(64)), (1.0, on(60)), (1.5, off(60)), (2.0, pedal(63))]
    assert play(tracker, events) == [Note(1.0, 1.0, 60, 100)]


def test_restriking_a_pedal_held_note_closes_and_restarts_it() -> None:
    tracker = NoteTracker()
    events = [
        (0.0, pedal(100)),
        (0.0, on(60, 50)),
        (0.4, off(60)),
        (1.0, on(60, 90)),  # held by the pedal only, struck again
        (1.2, off(60)),  # pedal still down: held
        (1.2, off(60)),  # stray: already released
        (3.0, pedal(0)),
    ]
    assert play(tracker, events) == [Note(0.0, 1.0, 60, 50), Note(1.0, 2.0, 60, 90)]
    assert tracker.stray_offs == 1


def test_pedal_is_per_channel() -> None:
    tracker = NoteTracker()
    events = [(0.0, pedal(127, channel=1)), (0.0, on(60, channel=0)), (0.0, on(67, channel=1))]
    events += [(1.0, off(60, channel=0)), (1.0, off(67, channel=1)), (2.0, pedal(0, channel=1))]
    assert play(tracker, events) == [Note(0.0, 1.0, 60, 100, 0), Note(0.0, 2.0, 67, 100, 1)]


def test_pedal_up_releases_notes_sorted_by_onset_then_pitch() -> None:
    tracker = NoteTracker()
    events = [(0.0, pedal(127)), (0.5, on(72)), (0.0, on(60)), (0.5, on(64))]
    events += [(0.6, off(72)), (0.6, off(60)), (0.6, off(64)), (1.0, pedal(0))]
    assert play(tracker, events) == [
        Note(0.0, 1.0, 60, 100),
        Note(0.5, 0.5, 64, 100),
        Note(0.5, 0.5, 72, 100),
    ]


def test_channel_filter_ignores_other_channels() -> None:
    tracker = NoteTracker(channel_filter=3)
    events = [(0.0, on(60, channel=0)), (0.0, on(62, channel=3)), (1.0, off(60)), (1.0, off(62, channel=3))]
    assert play(tracker, events) == [Note(0.0, 1.0, 62, 100, 3)]
    assert tracker.stray_offs == 0


def test_non_note_messages_are_ignored() -> None:
    tracker = NoteTracker()
    events = [
        (0.0, mido.Message("control_change", control=1, value=127)),
        (0.0, mido.Message("pitchwheel", pitch=100)),
        (0.0, mido.Message("clock")),
        (0.0, mido.Message("program_change", program=5)),
        (0.0, mido.Message("sysex", data=[1, 2])),
    ]
    assert play(tracker, events) == []
    assert tracker.held(1.0) == []


def test_held_reports_duration_so_far_without_ending_notes() -> None:
    tracker = NoteTracker()
    play(tracker, [(1.0, on(67, 40)), (1.5, on(60, 30))])
    assert tracker.held(2.0) == [Note(1.0, 1.0, 67, 40), Note(1.5, 0.5, 60, 30)]
    assert tracker.sounding_count == 2
    assert play(tracker, [(3.0, off(67))]) == [Note(1.0, 2.0, 67, 40)]


def test_flush_ends_everything_and_resets_the_pedal() -> None:
    tracker = NoteTracker()
    play(tracker, [(0.0, pedal(127)), (0.0, on(60)), (0.5, off(60)), (1.0, on(62))])
    assert tracker.flush(4.0) == [Note(0.0, 4.0, 60, 100), Note(1.0, 3.0, 62, 100)]
    assert tracker.held(5.0) == []
    # the pedal is up again after a flush
    assert play(tracker, [(5.0, on(60)), (5.5, off(60))]) == [Note(5.0, 0.5, 60, 100)]


def test_same_time_on_and_off_gives_a_zero_length_note() -> None:
    tracker = NoteTracker()
    assert play(tracker, [(2.0, on(60)), (2.0, off(60))]) == [Note(2.0, 0.0, 60, 100)]
