"""ProcessRunner with a real worker process running the scripted model."""

from __future__ import annotations

import os
import signal
import time

import pytest

from conductor.backends.base import GenerationRequest, ModelError
from conductor.core.timebase import Timebase
from conductor.engine.clock import RealClock
from conductor.engine.runner import GenerationDone, GenerationFailed, NoteArrived, RunnerEvent
from conductor.live.process_runner import ProcessRunner
from conductor.piece.compiled import ModelSpec

TB = Timebase(120)


def request(generation: int, events: int = 4) -> GenerationRequest:
    return GenerationRequest(
        context=(), origin=0.0, start=1.0, until=10.0, timebase=TB, max_events=events, generation=generation
    )


def collect(runner: ProcessRunner, until: type, timeout: float = 30.0) -> list[RunnerEvent]:
    """Poll until an event of type `until` arrives (generous timeout: presence, not timing)."""
    events: list[RunnerEvent] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events += runner.poll()
        if any(isinstance(e, until) for e in events):
            return events
        time.sleep(0.01)
    raise AssertionError(f"no {until.__name__} within {timeout} s; got {events}")


@pytest.fixture
def runner() -> ProcessRunner:
    r = ProcessRunner(ModelSpec(kind="scripted"), None, RealClock(), threads=1)
    r.wait_ready(60)
    yield r
    r.close()


def test_streams_a_generation_from_the_worker(runner: ProcessRunner) -> None:
    runner.start(request(1))
    events = collect(runner, GenerationDone)
    notes = [e.note for e in events if isinstance(e, NoteArrived)]
    assert [n.pitch for n in notes] == [61, 64, 66, 67]
    assert [n.onset for n in notes] == [1.0, 1.25, 1.5, 1.75]
    assert events[-1] == GenerationDone(1, events[-1].at)
    assert runner.health().state == "ready"


def test_a_model_error_fails_the_generation_and_the_worker_lives_on(runner: ProcessRunner) -> None:
    runner.start(request(1), ModelSpec(kind="scripted", config="fail:2"))
    events = collect(runner, GenerationFailed)
    assert [type(e) for e in events] == [NoteArrived, NoteArrived, GenerationFailed]
    assert "scripted failure after 2 notes" in events[-1].message
    runner.start(request(2, events=1))
    assert [type(e) for e in collect(runner, GenerationDone)] == [NoteArrived, GenerationDone]


def test_a_killed_worker_fails_its_generation_and_is_restarted(runner: ProcessRunner) -> None:
    old_pid = runner.pid
    assert old_pid is not None
    runner.start(request(1, events=10_000))  # long enough to still be running when killed
    os.kill(old_pid, signal.SIGKILL)
    events = collect(runner, GenerationFailed)
    failed = [e for e in events if isinstance(e, GenerationFailed)]
    assert failed[0].generation == 1 and "model worker died" in failed[0].message
    assert runner.health().restarts == 1
    runner.start(request(2))  # refused while the new worker loads: the AI stays silent
    assert isinstance(runner.poll()[0], GenerationFailed)
    deadline = time.monotonic() + 60
    while runner.health().state != "ready" and time.monotonic() < deadline:
        runner.poll()
        time.sleep(0.02)
    assert runner.pid != old_pid
    runner.start(request(3, events=2))
    assert [type(e) for e in collect(runner, GenerationDone)] == [NoteArrived, NoteArrived, GenerationDone]


def test_cancel_drops_the_rest_of_a_generation(runner: ProcessRunner) -> None:
    runner.start(request(1, events=10_000))
    runner.cancel(1)
    runner.start(request(2, events=1))
    events = collect(runner, GenerationDone)
    assert {e.generation for e in events} == {2}


def test_a_model_that_cannot_load_is_reported() -> None:
    r = ProcessRunner(ModelSpec(kind="scripted", config="nonsense"), None, RealClock(), threads=1)
    try:
        with pytest.raises(ModelError, match="unknown scripted pattern 'nonsense'"):
            r.wait_ready(60)
    finally:
        r.close()


def test_the_worker_leaves_stop_signals_to_the_parent(runner: ProcessRunner) -> None:
    """Signals sent to the whole process group (Ctrl-C, a closed terminal, systemd or tmux stopping
    the show) must not kill the worker under the ending: the parent stops it after the notes."""
    pid = runner.pid
    assert pid is not None
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        os.kill(pid, signum)
    runner.start(request(1, events=2))
    assert [type(e) for e in collect(runner, GenerationDone)] == [NoteArrived, NoteArrived, GenerationDone]
    assert runner.pid == pid and runner.health().restarts == 0
