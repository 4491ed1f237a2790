"""InlineRunner: notes stream with deterministic simulated arrival times; cancel and failures."""

from __future__ import annotations

import pytest

from conductor.backends.base import GenerationRequest
from conductor.backends.scripted import ScriptedModel
from conductor.core.events import Note, Source
from conductor.core.timebase import Timebase
from conductor.engine.clock import VirtualClock
from conductor.engine.runner import GenerationDone, GenerationFailed, InlineRunner, NoteArrived
from conductor.engine.timing import Latency

TB = Timebase(120)  # a beat is 0.5 s


def request(generation: int, start: float = 0.0, until: float = 1.0, events: int = 3) -> GenerationRequest:
    return GenerationRequest((), 0.0, start, until, TB, events, generation=generation)


def ai(onset: float, pitch: int, vel: int) -> Note:
    return Note(onset, 0.5, pitch, vel, 0, Source.AI)


def test_notes_arrive_one_by_one_in_virtual_time() -> None:
    clock = VirtualClock()
    runner = InlineRunner(ScriptedModel(), clock, Latency(0.1, 0.01))
    runner.start(request(0))
    assert runner.poll() == []
    assert runner.next_arrival() == 0.1
    clock.advance_to(0.1)
    assert runner.poll() == [NoteArrived(0, ai(0.0, 60, 60), 0.1)]
    clock.advance_to(0.125)
    assert runner.poll() == [
        NoteArrived(0, ai(0.25, 61, 65), 0.11),
        NoteArrived(0, ai(0.5, 64, 70), 0.12),
    ]
    clock.advance_to(1.0)
    assert runner.poll() == [GenerationDone(0, 0.13)]
    assert runner.next_arrival() is None


def test_generations_queue_behind_each_other_and_cancel() -> None:
    clock = VirtualClock()
    runner = InlineRunner(ScriptedModel(), clock, Latency(0.1, 0.01))
    runner.start(request(0, events=1))
    runner.start(request(1, events=1))
    runner.start(request(2, events=1))
    runner.cancel(1)
    clock.advance_to(5.0)
    events = runner.poll()
    assert [(type(e).__name__, e.generation) for e in events] == [
        ("NoteArrived", 0),
        ("GenerationDone", 0),
        ("NoteArrived", 2),
        ("GenerationDone", 2),
    ]
    assert [e.arrival for e in events if isinstance(e, NoteArrived)] == pytest.approx([0.1, 0.21])


def test_model_errors_become_failed_events() -> None:
    clock = VirtualClock()
    runner = InlineRunner(ScriptedModel("fail", 1), clock, Latency(0.0, 0.0))
    runner.start(request(7))
    events = runner.poll()
    assert events[0] == NoteArrived(7, ai(0.0, 75, 60), 0.0)
    assert events[1] == GenerationFailed(7, "RuntimeError: scripted failure after 1 notes", 0.0)


def test_latency_parse() -> None:
    assert Latency.parse("0.5") == Latency(0.5, 0.002)
    assert Latency.parse("0.5,0.01") == Latency(0.5, 0.01)
