"""Lateness as the listener hears it, the clock thread's own, and the late-note warnings."""

from __future__ import annotations

import mido
import pytest

from conductor.core.events import Note, Source
from conductor.engine.scheduler import Scheduler
from conductor.live.lateness import LatenessHistogram, LateNotes, describe, lateness_of
from conductor.live.sender import Sender


class ManualClock:
    """A clock that reads the times it is given, one per call (the last one repeats)."""

    def __init__(self, *times: float) -> None:
        self.times = list(times)

    def now(self) -> float:
        return self.times.pop(0) if len(self.times) > 1 else self.times[0]

    def sleep_until(self, t: float) -> None:
        pass


class RecordingPort:
    def __init__(self) -> None:
        self.sent: list[mido.Message] = []

    def send(self, msg: mido.Message) -> None:
        self.sent.append(msg)


def note(onset: float, pitch: int = 60) -> Note:
    return Note(onset, 0.5, pitch, 80, channel=2, source=Source.AI)


def test_heard_lateness_counts_what_made_a_note_late_before_the_clock_saw_it() -> None:
    scheduler = Scheduler()
    scheduler.add(note(1.0), generation=1)  # due at 1.0; the clock thread first saw it at 1.25
    sender = Sender(scheduler, RecordingPort(), ManualClock(1.3))
    assert sender.send_due(1.3, seen=1.25) == 1
    heard, clock = sender.heard_lateness(), sender.clock_lateness()
    assert heard.count == clock.count == 1
    assert heard.max_ms == pytest.approx(300.0) and clock.max_ms == pytest.approx(50.0)
    assert sender.scheduled_late == 1 and sender.late_notes.count == 1


def test_an_on_time_send_is_not_late_and_the_final_flush_is_not_measured() -> None:
    scheduler = Scheduler()
    scheduler.add(note(1.0), generation=1)
    sender = Sender(scheduler, RecordingPort(), ManualClock(1.0002))
    sender.send_due(1.0002, seen=0.9)
    assert sender.late_notes.count == 0 and sender.scheduled_late == 0
    assert sender.send_due(9.0) == 1  # the note-off, flushed after stop(): no `seen`
    assert sender.heard_lateness().count == 1 and sender.heard_lateness().max_ms == pytest.approx(0.2)


def test_the_histogram_matches_exact_percentiles_within_its_bin_width() -> None:
    samples = [0.0001 * (i % 97) + 0.00002 * i for i in range(5000)] + [0.768]
    hist = LatenessHistogram()
    for s in samples:
        hist.record(s)
    exact, approx = lateness_of(samples), hist.summary()
    assert approx.count == exact.count and approx.max_ms == pytest.approx(exact.max_ms)
    for got, want in ((approx.p50_ms, exact.p50_ms), (approx.p99_ms, exact.p99_ms)):
        assert want <= got <= want * 1.05 + 1e-9


def test_an_empty_or_on_time_histogram_reads_zero() -> None:
    hist = LatenessHistogram()
    assert hist.summary() == lateness_of([])
    hist.record(0.0)
    hist.record(-0.001)  # sent before its deadline (a closing note-off queued in the past)
    assert hist.summary().p99_ms == 0.0 and hist.summary().count == 2


def test_late_notes_are_reported_at_once_then_at_most_once_a_second() -> None:
    late = LateNotes(threshold_s=0.010, every_s=1.0)
    msgs = [mido.Message("note_on", note=60 + i, channel=2, velocity=80) for i in range(5)]
    late.sent_late(0.004, msgs[0])  # on time enough: not kept
    assert late.report(100.0) is None
    late.sent_late(0.012, msgs[1])
    first = late.report(100.0)
    assert first is not None and first.line(1.0) == "a note went out 12.0 ms late (note_on 61 ch 3)"
    late.sent_late(0.300, msgs[2])
    late.sent_late(0.020, msgs[3])
    assert late.report(100.5) is None  # within the second: gathered
    second = late.report(101.0)
    assert second is not None and (second.count, second.example) == (2, "note_on 62 ch 3")
    assert second.line(1.0) == (
        "2 notes went out more than 10 ms late in the last 1 s, worst 300.0 ms (note_on 62 ch 3)"
    )
    assert late.report(103.0) is None and late.count == 3


def test_a_flood_of_late_notes_is_counted_even_past_what_is_kept() -> None:
    late = LateNotes(keep=4)
    for i in range(100):
        late.sent_late(0.05 + i / 1000, mido.Message("note_off", note=i % 128))
    report = late.report(0.0)
    assert report is not None and report.count == 100 and report.worst_ms == pytest.approx(149.0)


def test_describe_counts_channels_from_one() -> None:
    assert describe(mido.Message("control_change", channel=0, control=123)) == "control_change 123 ch 1"
    assert describe(mido.Message("program_change", channel=15, program=5)) == "program_change 5 ch 16"


def test_a_repeating_engine_error_is_reported_once_a_second_with_its_count() -> None:
    from conductor.live.engine_loop import Repeats

    repeats = Repeats(every_s=1.0)
    seen = [(t, repeats.due("OverflowError: x", t)) for t in (0.0, 0.005, 0.01, 0.5, 1.0, 1.2, 2.5)]
    assert seen == [(0.0, 0), (0.005, None), (0.01, None), (0.5, None), (1.0, 3), (1.2, None), (2.5, 1)]
    assert repeats.due("KeyError: 'a'", 2.6) == 0  # another error: at once
