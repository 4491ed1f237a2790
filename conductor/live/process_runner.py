"""`ProcessRunner`: the engine's `ModelRunner` over a model worker process (see `worker.py`).

The model is loaded once when the runner starts. If the worker dies or its model raises, the
performance goes on: the running generation is reported as `GenerationFailed` (the engine then falls
silent for it and releases its sounding notes), the worker is restarted in the background, and the
reason is logged and kept in `health()` for the stage display.

Thread safety: `start`, `poll`, `cancel`, `observe`, `close` and `restart` are called from ONE thread
(the engine thread); none of them blocks (queue puts go through multiprocessing's feeder thread).
`health()` may be called from any thread: it reads a frozen snapshot replaced atomically.
Nothing here is realtime-safe; the clock (sender) thread never calls it.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import queue
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from multiprocessing.context import SpawnProcess
from pathlib import Path

from conductor.backends.base import GenerationRequest, ModelError
from conductor.core.events import Note
from conductor.engine.clock import Clock
from conductor.engine.runner import GenerationDone, GenerationFailed, NoteArrived, RunnerEvent
from conductor.live.worker import model_threads, worker_main
from conductor.live.worker_messages import (
    Cancel,
    Decoded,
    Done,
    Failed,
    Generate,
    LoadFailed,
    Observe,
    Ready,
    Replies,
    Reply,
    Requests,
    Stop,
)
from conductor.piece.compiled import ModelSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkerHealth:
    """What the stage display shows about the worker."""

    state: str = "starting"  # starting | ready | generating | dead | failed | closed
    pid: int | None = None
    model: str = ""  # the model playing (the last generation's; the piece's at first): `model_label`
    restarts: int = 0
    last_error: str | None = None


def model_label(spec: ModelSpec) -> str:
    """What the stage display calls a model: 'skytnt tv2o-medium', 'skytnt my-model (float16, cuda)',
    'markov (order 4)', 'scripted arpeggio'."""
    kind = str(spec.kind)  # a StrEnum, or a plain string where a test built the spec
    if kind == "markov":
        return f"markov (order {spec.markov.order})"
    name = spec.checkpoint.name if spec.checkpoint is not None else spec.config
    label = f"{kind} {name}" if name else kind
    extras = [x for x in (str(spec.dtype), spec.device) if x not in ("float32", "cpu")]
    return f"{label} ({', '.join(extras)})" if extras else label


class ProcessRunner:
    """Runs generations in a worker process and streams their notes back to the engine."""

    def __init__(
        self, spec: ModelSpec, base_dir: Path | None, clock: Clock, *, threads: int | None = None
    ) -> None:
        self._spec = spec
        self._base_dir = base_dir
        self._clock = clock
        self._threads = threads or model_threads()
        self._ctx = mp.get_context("spawn")
        self._active: list[int] = []  # generations queued or running in the worker (engine thread only)
        self._health = WorkerHealth(model=model_label(spec))  # replaced whole: safe from any thread
        self._closing = False
        self._refused: list[RunnerEvent] = []  # failures to report at the next poll (engine thread only)
        self._proc, self._requests, self._replies = self._spawn()

    # ---------------------------------------------------------------- lifecycle

    def _spawn(self) -> tuple[SpawnProcess, Requests, Replies]:
        """A fresh worker process and its two queues (the health says it is starting)."""
        requests: Requests = self._ctx.Queue()
        replies: Replies = self._ctx.Queue()
        args = (self._spec, self._base_dir, self._threads, requests, replies)
        proc = self._ctx.Process(target=worker_main, args=args, name="conductor-model", daemon=True)
        proc.start()
        self._health = replace(self._health, state="starting", pid=proc.pid)
        return proc, requests, replies

    def wait_ready(self, timeout: float = 60.0, cancelled: Callable[[], bool] | None = None) -> bool:
        """Block until the worker has loaded its model (start-up only): True when ready, False if
        `cancelled()` turned true first (checked every 0.2 s). Raises ModelError if loading fails."""
        deadline = time.monotonic() + timeout
        while self._health.state == "starting":
            if cancelled is not None and cancelled():
                return False
            try:
                self._handle(self._replies.get(timeout=0.2), [])
            except queue.Empty:
                if not self._proc.is_alive():
                    why = f"the model worker exited (code {self._proc.exitcode}) while loading the model"
                    raise ModelError(why) from None
                if time.monotonic() > deadline:
                    raise ModelError(
                        f"the model worker did not load its model within {timeout:.0f} s"
                    ) from None
        if self._health.state != "ready":
            raise ModelError(f"the model worker could not load the model: {self._health.last_error}")
        return True

    def health(self) -> WorkerHealth:
        """The latest health snapshot. Thread-safe."""
        return self._health

    @property
    def pid(self) -> int | None:
        """The worker's process id (changes after a restart)."""
        return self._health.pid

    def restart(self, reason: str) -> None:
        """Kill the worker (if alive) and start a fresh one in the background."""
        log.warning("model worker: %s; restarting it (the AI is silent until it is back)", reason)
        self._kill()
        self._health = replace(self._health, restarts=self._health.restarts + 1, last_error=reason)
        self._proc, self._requests, self._replies = self._spawn()

    def close(self) -> None:
        """Stop the worker politely, then by force after 2 s."""
        self._closing = True
        if self._proc.is_alive():
            self._requests.put(Stop())
            self._proc.join(timeout=2.0)
        self._kill()
        self._health = replace(self._health, state="closed")

    def _kill(self) -> None:
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(timeout=2.0)
        for q in (self._requests, self._replies):
            q.cancel_join_thread()
            q.close()

    # ---------------------------------------------------------------- ModelRunner protocol

    def start(self, request: GenerationRequest, model: ModelSpec | None = None) -> None:
        """Queue generation `request.generation` with the model for `model` (None: the piece's).

        While the worker is (re)starting the AI stays silent: the generation fails at the next poll.
        """
        if self._health.state not in ("ready", "generating"):
            why = f"model worker is {self._health.state}"
            self._refused.append(GenerationFailed(request.generation, why))
            return
        self._active.append(request.generation)
        self._requests.put(Generate(request, model))
        label = model_label(model or self._spec)
        if label != self._health.model:
            self._health = replace(self._health, model=label)

    def cancel(self, generation: int) -> None:
        """Stop streaming `generation`; notes of it still in flight are dropped by `poll`."""
        self._requests.put(Cancel(generation))
        if generation in self._active:
            self._active.remove(generation)

    def observe(self, notes: Sequence[Note]) -> None:
        """Let the model hear notes (applied between generations)."""
        self._requests.put(Observe(tuple(notes)))

    def next_arrival(self) -> float | None:
        """Unknown for a real worker: the engine polls."""
        return None

    def poll(self) -> list[RunnerEvent]:
        """Everything the worker sent since the last poll; also notices a dead worker."""
        events, self._refused = self._refused, []
        for _ in range(256):
            try:
                reply = self._replies.get_nowait()
            except (queue.Empty, OSError, ValueError):
                break
            self._handle(reply, events)
        if not self._closing and not self._proc.is_alive():
            self._on_death(events)
        return events

    # ---------------------------------------------------------------- replies

    def _handle(self, reply: Reply, events: list[RunnerEvent]) -> None:
        if isinstance(reply, Ready):
            self._health = replace(self._health, state="ready", pid=reply.pid)
            log.info("model worker ready (pid %d, %d torch threads)", reply.pid, self._threads)
        elif isinstance(reply, LoadFailed):
            self._health = replace(self._health, state="failed", last_error=reply.message)
            log.error("model worker could not load the model: %s", reply.message)
        elif reply.generation not in self._active:
            return  # cancelled: what it still sends is dropped
        elif isinstance(reply, Decoded):
            events.append(self._arrived(reply.generation, reply.note))
        elif isinstance(reply, Done):
            self._active.remove(reply.generation)
            self._health = replace(self._health, state="ready")
            events.append(GenerationDone(reply.generation, self._clock.now()))
        else:
            self._failed(reply, events)

    def _failed(self, reply: Failed, events: list[RunnerEvent]) -> None:
        g, message = reply.generation, reply.message
        self._active.remove(g)
        self._health = replace(self._health, state="ready", last_error=message)
        log.error("generation %d failed in the model: %s (the performance goes on)", g, message)
        events.append(GenerationFailed(g, message, self._clock.now()))

    def _arrived(self, generation: int, note: Note) -> NoteArrived:
        if self._health.state != "generating":
            self._health = replace(self._health, state="generating")
        return NoteArrived(generation, note, self._clock.now())

    def _on_death(self, events: list[RunnerEvent]) -> None:
        code = self._proc.exitcode
        if self._health.state == "failed":
            return  # the model cannot load: restarting would only fail again
        reason = f"model worker died (exit code {code})"
        events.extend(GenerationFailed(g, reason, self._clock.now()) for g in self._active)
        self._active = []
        self._health = replace(self._health, state="dead")
        self.restart(reason)
