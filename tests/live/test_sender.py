"""The sender thread moves every scheduled message to the port, in order, and reports it."""

from __future__ import annotations

import time

import mido

from conductor.core.events import Note, Source
from conductor.engine.clock import RealClock
from conductor.engine.scheduler import Scheduler
from conductor.live.sender import Sender, lateness_of


class RecordingPort:
    def __init__(self) -> None:
        self.sent: list[mido.Message] = []

    def send(self, msg: mido.Message) -> None:
        self.sent.append(msg)


def test_every_scheduled_message_is_sent_in_order() -> None:
    clock, port, scheduler = RealClock(), RecordingPort(), Scheduler()
    reported: list[mido.Message] = []
    sender = Sender(scheduler, port, clock, on_sent=lambda msg, deadline, at: reported.append(msg))
    sender.start()
    t = clock.now() + 0.05
    for i, pitch in enumerate((60, 64, 67)):
        scheduler.add(Note(t + 0.02 * i, 0.01, pitch, 80, channel=2, source=Source.AI), generation=1)
    sender.wake()
    deadline = time.monotonic() + 10
    while len(port.sent) < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    sender.stop()
    expected = [(kind, p) for p in (60, 64, 67) for kind in ("note_on", "note_off")]
    assert [(m.type, m.note) for m in port.sent] == expected
    assert reported == port.sent
    assert sender.sent_count == 6
    assert sender.heard_lateness().count == sender.clock_lateness().count == 6


def test_a_failing_port_does_not_stop_the_clock() -> None:
    class BrokenPort:
        def send(self, msg: mido.Message) -> None:
            raise OSError("port gone")

    clock, scheduler = RealClock(), Scheduler()
    sender = Sender(scheduler, BrokenPort(), clock)
    sender.start()
    scheduler.add(Note(clock.now() + 0.01, 0.01, 60, 80, source=Source.AI), generation=1)
    sender.wake()
    deadline = time.monotonic() + 10
    while sender.sent_count < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sender.is_alive() and sender.sent_count == 2
    sender.stop()


def test_lateness_percentiles() -> None:
    stats = lateness_of([0.001 * i for i in range(100)])
    assert (stats.count, stats.p50_ms, stats.p99_ms, stats.max_ms) == (100, 50.0, 99.0, 99.0)
