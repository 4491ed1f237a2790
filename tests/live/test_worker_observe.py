"""The model worker applies observes queued back to back as one (one prefill for all their notes);
any other request ends the batch at once and keeps its place."""

from __future__ import annotations

import queue
import threading
from typing import Any

from conductor.core.events import Note, Source
from conductor.live.worker import Cancel, Generate, Observe, Stop, _observed
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
