"""The model worker: a separate process that loads the model once and streams generations back.

The model lives in its own process (multiprocessing *spawn*) so that neither the interpreter lock
nor torch's threads can delay the clock thread; torch gets `cores - 1` threads, leaving a core for
the clock. Messages are small frozen dataclasses on two `multiprocessing.Queue`s:

requests (parent → worker)             replies (worker → parent)
  Observe(notes)                         Ready(pid) | LoadFailed(message)
  Generate(request, spec)                Decoded(generation, note)
  Cancel(generation)                     Done(generation)
  Stop()                                 Failed(generation, message)

Generations run one at a time, in order (like `InlineRunner`). Between two decoded notes the worker
looks at its request queue: a cancel of the running generation closes its iterator at once, a cancel
of a queued one unqueues it; `observe` calls that arrive during a generation are applied after it,
and observes queued back to back or arriving within `OBSERVE_BATCH_S` are applied as one (one prefill
for all their notes; any other request ends the wait at once). While no request waits, the models'
background work runs (`Model.work`: the next sliding context), a slice at a time.
`spec` (a section's `ModelSpec`, or None for the piece's) picks the model; one model is built per
distinct spec (sampling aside: it travels in the request), the piece's model at start-up.

The worker ignores SIGINT, SIGTERM, SIGHUP and SIGQUIT (Ctrl-C, a closed terminal, Ctrl-\\, systemd
stopping a unit or `tmux kill-session` reach the whole process group; the parent decides when the
worker stops, after closing every note — a worker that took SIGTERM died under the ending and was
"restarted" by it) and exits when the parent process is gone (checked every second).
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from functools import partial
from multiprocessing import parent_process
from pathlib import Path

from conductor.backends.base import GenerationRequest, Model, background_all, observe_until
from conductor.core.events import Note
from conductor.engine.runner import OBSERVE_BATCH_S, model_key
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
    Request,
    Requests,
    Stop,
)
from conductor.piece.compiled import ModelSpec

log = logging.getLogger(__name__)


PARENT_DECIDES = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT") if hasattr(signal, name)
)  # signals sent to the whole process group: the parent stops the worker when it is ready


def model_threads(cores: int | None = None) -> int:
    """Threads for torch in the worker: every core but one (at least one)."""
    return max(1, (cores or os.cpu_count() or 2) - 1)


def worker_main(
    spec: ModelSpec, base_dir: Path | None, threads: int, requests: Requests, replies: Replies
) -> None:
    """Entry point of the worker process (a spawn target: module-level and picklable)."""
    for signum in PARENT_DECIDES:
        signal.signal(signum, signal.SIG_IGN)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    models = _Models(base_dir, threads)
    try:
        models.get(spec)
    except Exception as exc:
        replies.put(LoadFailed(f"{type(exc).__name__}: {exc}"))
        return
    replies.put(Ready(os.getpid()))
    try:
        _serve(models, spec, requests, replies)
    finally:
        models.close()


class _Models:
    """The worker's models, one per distinct spec (sampling ignored)."""

    def __init__(self, base_dir: Path | None, threads: int) -> None:
        self._base_dir = base_dir
        self._threads = threads
        self._models: dict[ModelSpec, Model] = {}

    def get(self, spec: ModelSpec) -> Model:
        key = model_key(spec)
        if key not in self._models:
            from conductor.backends.factory import build_model

            self._models[key] = build_model(spec, self._base_dir)
            torch = sys.modules.get("torch")
            if torch is not None:
                torch.set_num_threads(self._threads)
        return self._models[key]

    def all(self) -> list[Model]:
        return list(self._models.values())

    def close(self) -> None:
        for model in self.all():
            _safely(model.close)


def _serve(models: _Models, default: ModelSpec, requests: Requests, replies: Replies) -> None:
    """Answer requests until `Stop` or until the parent disappears."""
    pending: list[Request] = []
    while True:
        cmd = pending.pop(0) if pending else _next(requests, models, pending)
        if cmd is None:
            if not _parent_alive():
                return
            continue
        if isinstance(cmd, Stop):
            return
        if isinstance(cmd, Observe):
            notes = _observed(cmd, requests, pending)
            for model in models.all():  # a request waiting stops the prefill: it prefills the rest
                _safely(observe_until, model, notes, partial(_waits, pending, requests))
        elif isinstance(cmd, Generate):
            pending = _generate(models, cmd.spec or default, cmd.request, requests, replies) + pending


def _observed(
    first: Observe, requests: Requests, pending: list[Request], batch_s: float = OBSERVE_BATCH_S
) -> tuple[Note, ...]:
    """`first`'s notes and those of the observes queued behind it or arriving within `batch_s` (taken
    off `pending` or the queue; the first other request ends the batch at once and goes back to
    `pending`). One prefill of a few rows costs little more than one of a single row (tv2o-medium,
    float16, one thread: 27 ms for 1 row, 39 ms for 4, 57 ms for 8), so a human playing 18 notes a
    second costs the worker about a third of the CPU it would one note at a time."""
    notes, deadline = list(first.notes), time.monotonic() + batch_s
    while True:
        if pending and isinstance(pending[0], Observe):
            cmd = pending.pop(0)
        elif pending:
            return tuple(notes)
        else:
            try:
                cmd = requests.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return tuple(notes)
        if not isinstance(cmd, Observe):
            pending.append(cmd)  # from the queue (pending was empty): handled next
            return tuple(notes)
        notes.extend(cmd.notes)


def _next(
    requests: Requests, models: _Models, pending: list[Request], timeout: float = 1.0
) -> Request | None:
    """The next request (None after `timeout`); while none waits, the models' background work runs,
    one slice at a time (a slice ends as soon as any request is queued: tv2o-medium, ~16 ms)."""
    while background_all(models.all(), partial(_waits, pending, requests, urgent=False)) and not pending:
        pass
    if pending:
        return pending.pop(0)
    try:
        return requests.get(timeout=timeout)
    except queue.Empty:
        return None


def _waits(pending: list[Request], requests: Requests, urgent: bool = True) -> bool:
    """Whether a request waits (`urgent`: one that is not an observe: a generation, a cancel, a stop
    — an observe can wait for the prefill under way). Takes what is queued into `pending`, in order."""
    while True:
        try:
            pending.append(requests.get_nowait())
        except queue.Empty:
            break
    return any(not isinstance(c, Observe) for c in pending) if urgent else bool(pending)


def _parent_alive() -> bool:
    parent = parent_process()
    return parent is None or parent.is_alive()


def _generate(
    models: _Models, spec: ModelSpec, request: GenerationRequest, requests: Requests, replies: Replies
) -> list[Request]:
    """Stream one generation; returns the requests that arrived meanwhile and still need handling."""
    gen = request.generation
    later: list[Request] = []
    notes: Iterator[Note] | None = None
    try:
        notes = models.get(spec).generate(request)
        for note in notes:
            replies.put(Decoded(gen, note))
            if _interrupted(gen, requests, later):
                return later
        replies.put(Done(gen))
    except Exception as exc:
        log.debug("generation %d failed:\n%s", gen, traceback.format_exc())
        replies.put(Failed(gen, f"{type(exc).__name__}: {exc}"))
    finally:
        close = getattr(notes, "close", None)
        if close is not None:
            _safely(close)
    return later


def _interrupted(gen: int, requests: Requests, later: list[Request]) -> bool:
    """Drain the request queue without blocking; True if generation `gen` must stop now."""
    stop = False
    while True:
        try:
            cmd = requests.get_nowait()
        except queue.Empty:
            return stop
        if isinstance(cmd, Cancel) and cmd.generation != gen:
            later[:] = [
                c for c in later if not (isinstance(c, Generate) and c.request.generation == cmd.generation)
            ]
        elif isinstance(cmd, Cancel):
            stop = True
        else:
            later.append(cmd)
            stop = stop or isinstance(cmd, Stop)


def _safely(func: Callable[..., object], *args: object) -> None:
    try:
        func(*args)
    except Exception:
        log.warning("model worker: %s failed:\n%s", getattr(func, "__name__", func), traceback.format_exc())
