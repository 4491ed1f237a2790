"""The model worker applies observes queued back to back as one (one prefill for all their notes);
any other request ends the batch at once and keeps its place; between requests the models do their
background work a slice at a time."""

from __future__ import annotations

import queue
import threading
from typing import Any

from conductor.core.events import Note, Source
from conductor.live.worker import Cancel, Generate, Observe, Stop, _next, _observed, _waits
from tests.engine.test_runner import request


def heard(onset: float) -> Note:
    return Note(onset, 0.1, 60, 80, 0, Source.HUMAN)


def queued(*items: Any) -> queue.Queue[Any]:
    q: queue.Queue[Any] = queue.Queue()
    for item in items:
        q.put(item)
    return q


def test_observes_behind_each_other_become_one_and_the_next_request_waits_its_turn() -> None:
    generate = Generate(request(1), None)
    requests = queued(Observe((heard(0.2),)), Observe((heard(0.3),)), generate, Observe((heard(0.4),)))
    pending: list[Any] = []
    notes = _observed(Observe((heard(0.1),)), requests, pending)  # type: ignore[arg-type]
    assert [n.onset for n in notes] == [0.1, 0.2, 0.3]
    assert pending == [generate] and requests.qsize() == 1  # the observe after it stays after it


def test_observes_left_over_from_a_generation_are_taken_first_in_order() -> None:
    stop = Stop()
    pending: list[Any] = [Observe((heard(0.2),)), Cancel(3), Observe((heard(0.5),))]
    notes = _observed(Observe((heard(0.1),)), queued(stop), pending)  # type: ignore[arg-type]
    assert [n.onset for n in notes] == [0.1, 0.2]
    assert pending == [Cancel(3), Observe((heard(0.5),))]


def test_an_observe_arriving_within_the_batch_joins_it_until_another_request_ends_it() -> None:
    requests: queue.Queue[Any] = queue.Queue()
    later = threading.Timer(0.02, lambda: [requests.put(x) for x in (Observe((heard(0.2),)), Stop())])
    later.start()
    pending: list[Any] = []
    notes = _observed(Observe((heard(0.1),)), requests, pending, batch_s=30.0)  # type: ignore[arg-type]
    later.join()
    assert [n.onset for n in notes] == [0.1, 0.2] and pending == [Stop()]


class Busy:
    """A model with `slices` slices of background work; records the pause it was given."""

    def __init__(self, slices: int) -> None:
        self.slices, self.calls, self.paused = slices, 0, False

    def work(self, pause: Any) -> bool:
        self.calls += 1
        self.slices -= 1
        self.paused = self.paused or pause()
        return self.slices > 0

    def all(self) -> list[Any]:
        return [self]


def test_background_work_runs_a_slice_at_a_time_while_no_request_waits() -> None:
    busy = Busy(3)
    assert _next(queued(), busy, [], timeout=0.01) is None  # type: ignore[arg-type]
    assert busy.calls == 3 and not busy.paused  # all of it, then the wait for a request


def test_any_request_ends_the_background_work_at_the_next_slice() -> None:
    busy, observe = Busy(100), Observe((heard(0.1),))
    assert _next(queued(observe), busy, []) == observe  # type: ignore[arg-type]
    assert busy.calls == 1 and busy.paused  # one slice, told a request waits


def test_only_a_request_that_is_not_an_observe_stops_an_observe_prefill() -> None:
    pending: list[Any] = []
    requests = queued(Observe((heard(0.1),)), Observe((heard(0.2),)))
    assert not _waits(pending, requests)  # type: ignore[arg-type]  # more notes: the prefill goes on
    assert len(pending) == 2 and requests.empty()  # taken off the queue, kept in order
    requests.put(Cancel(4))
    assert _waits(pending, requests)  # type: ignore[arg-type]
    assert pending[-1] == Cancel(4)
