"""The sender: the clock thread that sleeps until the scheduler's next deadline and sends on time.

It only moves messages from the engine's `Scheduler` (a thread-safe deadline heap) to the output
port; everything musical happens in the engine thread. It sleeps on an Event until ~1 ms before the
next deadline (woken early by `wake()` when the engine adds an earlier note), spins the last
millisecond, sends every due message and records its lateness (`conductor.live.lateness`): as heard
(send time − the message's intended time, whatever delayed it) and the clock thread's own (send time
− max(deadline, when this thread first saw it)); notes sent audibly late are handed to `late_notes`
for the engine thread to warn about (this thread does no I/O).

Optionally (`realtime=True`) it raises itself to SCHED_FIFO inside its own thread, which needs root
or CAP_SYS_NICE; start it only after the model worker has started, because threads and processes
inherit the policy (a FIFO worker would starve the clock).

Thread safety: `wake`, `stop`, `heard_lateness`, `clock_lateness` and `sent_count` may be called from
any thread; `late_notes.report` from one other thread (the engine's). `run` is
the only code on the clock thread; it calls `Scheduler.due/next_deadline` (thread-safe), `port.send`
and the `on_sent` callback, which must be realtime-safe (a lock held for microseconds or a
`SimpleQueue.put`, no I/O).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Protocol

import mido

from conductor.engine.clock import Clock
from conductor.live.lateness import Lateness, LatenessHistogram, LateNotes, lateness_of
from conductor.live.ports import OutputPort

__all__ = ["Lateness", "Sender", "lateness_of", "set_fifo"]
log = logging.getLogger(__name__)

OnSent = Callable[[mido.Message, float, float], None]  # (message, deadline, sent_at)


class Deadlines(Protocol):
    """What the clock thread sends from (the engine's scheduler, drained through the engine). Both
    methods must be thread-safe and realtime-safe."""

    def next_deadline(self) -> float | None:
        """The time of the earliest queued message, or None."""

    def due(self, t: float) -> list[tuple[float, mido.Message]]:
        """Every message due by `t`, in order, each with its time."""


def set_fifo(priority: int = 50) -> str:
    """Put the CALLING thread under SCHED_FIFO; returns what happened (for the log)."""
    if not hasattr(os, "sched_setscheduler"):
        return "SCHED_FIFO not available on this system"
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except PermissionError:
        return "SCHED_FIFO refused (needs root or CAP_SYS_NICE); running at normal priority"
    except OSError as exc:
        return f"SCHED_FIFO failed ({exc}); running at normal priority"
    return f"clock thread at SCHED_FIFO priority {priority}"


class Sender(threading.Thread):
    """The clock thread. Construct, then `start()`; `stop()` to end it (sends nothing more)."""

    def __init__(
        self,
        scheduler: Deadlines,
        port: OutputPort,
        clock: Clock,
        *,
        on_sent: OnSent | None = None,
        realtime: bool = False,
        spin_s: float = 0.001,
        max_sleep_s: float = 0.02,
    ) -> None:
        super().__init__(name="conductor-clock", daemon=True)
        self._scheduler = scheduler
        self._port = port
        self._clock = clock
        self._on_sent = on_sent
        self._realtime = realtime
        self._spin_s = spin_s
        self._max_sleep_s = max_sleep_s
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._heard = LatenessHistogram()  # recorded by the clock thread only
        self._clock_late = LatenessHistogram()  # recorded by the clock thread only
        self.late_notes = LateNotes()  # clock thread → engine thread
        self._send_errors = 0
        self.sent_count = 0  # written by the clock thread only
        self.scheduled_late = 0  # messages whose deadline had passed when this thread first saw them
        self.policy = "normal priority"

    def wake(self) -> None:
        """Re-read the next deadline now (the engine added an earlier message). Thread-safe."""
        self._wake.set()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the thread and wait for it. Thread-safe (not from the clock thread itself)."""
        self._stopping.set()
        self._wake.set()
        if self.is_alive():
            self.join(timeout)

    def heard_lateness(self) -> Lateness:
        """Send time − intended time over the whole performance, as the listener hears it. Thread-safe."""
        return self._heard.summary()

    def clock_lateness(self) -> Lateness:
        """The clock thread's own lateness (from when it could first send). Thread-safe."""
        return self._clock_late.summary()

    def run(self) -> None:
        if self._realtime:
            self.policy = set_fifo()
            log.info("%s", self.policy)
        while not self._stopping.is_set():
            self._cycle()

    def _cycle(self) -> None:
        deadline = self._scheduler.next_deadline()
        now = self._clock.now()
        if deadline is None or deadline - now > self._spin_s:
            wait = self._max_sleep_s if deadline is None else deadline - now - self._spin_s
            self._wake.wait(min(wait, self._max_sleep_s))
            self._wake.clear()
            return
        while self._clock.now() < deadline:
            pass
        self.send_due(self._clock.now(), seen=now)

    def send_due(self, t: float, seen: float | None = None) -> int:
        """Send every message due at `t`; returns how many. The clock thread (or the main thread after
        `stop`) calls it.

        With `seen` (when this thread first saw the deadline; the clock thread passes it) each send is
        measured twice: heard = sent − deadline, clock = sent − max(deadline, seen). A message whose
        deadline had already passed when the clock thread first saw it (the engine scheduled it
        late) also counts in `scheduled_late`. The final flush after `stop` passes no `seen`: it is
        not a performance send and is not measured.
        """
        count = 0
        for deadline, msg in self._scheduler.due(t):
            self._send(msg)
            sent_at = self._clock.now()
            if seen is not None:
                self._measure(msg, deadline, seen, sent_at)
            if self._on_sent is not None:
                self._on_sent(msg, deadline, sent_at)
            count += 1
        self.sent_count += count
        return count

    def _measure(self, msg: mido.Message, deadline: float, seen: float, sent_at: float) -> None:
        heard = max(0.0, sent_at - deadline)
        self._heard.record(heard)
        self._clock_late.record(max(0.0, sent_at - max(deadline, seen)))
        if deadline < seen - 0.0005:
            self.scheduled_late += 1
        self.late_notes.sent_late(heard, msg)

    def _send(self, msg: mido.Message) -> None:
        try:
            self._port.send(msg)
        except Exception as exc:  # a vanished port: keep the clock running, the health check reports it
            self._send_errors += 1
            if self._send_errors in (1, 10, 100):
                log.error("cannot send to the MIDI output (%s); %d failures so far", exc, self._send_errors)
