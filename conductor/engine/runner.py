"""Model runners: how the engine asks a model for notes and receives them as they stream.

`ModelRunner` is the protocol the engine talks to. `InlineRunner` runs the model in the caller's
thread for rehearsals: it pulls the model's generator lazily and stamps every note with a simulated,
deterministic arrival time in virtual time (first-event latency + a cost per event), so the engine
schedules notes as they stream — the first note when it is decoded, not after the whole generation —
and a rehearsal never reads the wall clock. The live helper's `ProcessRunner` runs the model in a
worker process behind the same protocol.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from conductor.backends.base import GenerationRequest, Model
from conductor.core.events import Note
from conductor.engine.clock import Clock
from conductor.piece.compiled import ModelSpec, SamplingSpec

log = logging.getLogger(__name__)

_PER_EVENT = 0.002


@dataclass(frozen=True, slots=True)
class NoteArrived:
    """A note decoded by generation `generation`, available from logical time `arrival`."""

    generation: int
    note: Note
    arrival: float


@dataclass(frozen=True, slots=True)
class GenerationDone:
    """Generation `generation` has decoded its last note (at logical time `at`)."""

    generation: int
    at: float = 0.0


@dataclass(frozen=True, slots=True)
class GenerationFailed:
    """Generation `generation` raised; `message` says why. Its notes must be closed."""

    generation: int
    message: str
    at: float = 0.0


RunnerEvent = NoteArrived | GenerationDone | GenerationFailed


class ModelRunner(Protocol):
    """Runs generations for the engine. Called from the engine thread only."""

    def start(self, request: GenerationRequest, model: ModelSpec | None = None) -> None:
        """Begin generation `request.generation` with the model for `model` (None: the default)."""

    def poll(self) -> list[RunnerEvent]:
        """Events that have happened by now, in order."""
        ...

    def cancel(self, generation: int) -> None:
        """Stop a generation (queued or running); no more events come for it."""

    def observe(self, notes: Sequence[Note]) -> None:
        """Let every model hear notes as they are played."""

    def next_arrival(self) -> float | None:
        """When the next event will be available (virtual time), or None if unknown or idle."""
        ...

    def close(self) -> None:
        """Stop everything and release the models."""


@dataclass(frozen=True, slots=True)
class Latency:
    """Simulated decoding time in logical seconds: `first` before the first note, `per_event` after."""

    first: float = 0.02
    per_event: float = _PER_EVENT

    @classmethod
    def parse(cls, text: str) -> Latency:
        """`"0.02"` (first only) or `"0.02,0.002"` (first, per event), in seconds."""
        parts = [float(p) for p in text.split(",") if p.strip()]
        if not 1 <= len(parts) <= 2 or any(p < 0 for p in parts):
            raise ValueError(f"latency must be 'FIRST[,PER_EVENT]' seconds >= 0, got {text!r}")
        return cls(parts[0], parts[1] if len(parts) == 2 else _PER_EVENT)


@dataclass(slots=True)
class _Job:
    request: GenerationRequest
    spec: ModelSpec | None
    requested_at: float
    iterator: Iterator[Note] | None = None
    next_at: float = 0.0  # when the next event (note or end) becomes available


class InlineRunner:
    """Runs models in this thread, one generation at a time, with simulated latency in virtual time.

    `models` is either one `Model` or a factory from `ModelSpec` to `Model` (called once per
    distinct spec, sampling ignored: sampling travels in the request). Not thread-safe.
    """

    def __init__(
        self,
        models: Model | Callable[[ModelSpec], Model],
        clock: Clock,
        latency: Latency | None = None,
    ) -> None:
        self._factory = models if callable(models) and not isinstance(models, Model) else None
        self._default: Model | None = None if self._factory else models  # type: ignore[assignment]
        self._models: dict[ModelSpec, Model] = {}
        self._clock = clock
        self.latency = latency or Latency()
        self._jobs: deque[_Job] = deque()  # the head job is decoding; the rest wait

    def start(self, request: GenerationRequest, model: ModelSpec | None = None) -> None:
        """Queue a generation; it starts decoding when the one before it has finished."""
        job = _Job(request, model, self._clock.now())
        if not self._jobs:
            self._begin(job, self._clock.now())
        self._jobs.append(job)

    def _begin(self, job: _Job, at: float) -> None:
        job.next_at = at + self.latency.first
        try:
            job.iterator = self._model_for(job.spec).generate(job.request)
        except Exception as exc:  # a broken model must never stop the performance
            log.error("model failed to start generation %d: %s", job.request.generation, exc)
            job.iterator = _raising(exc)

    def _model_for(self, spec: ModelSpec | None) -> Model:
        if self._factory is None or spec is None:
            if self._default is None:
                raise ValueError("no default model: pass a ModelSpec to start()")
            return self._default
        key = model_key(spec)
        if key not in self._models:
            self._models[key] = self._factory(spec)
        return self._models[key]

    def poll(self) -> list[RunnerEvent]:
        """Decode every event whose simulated arrival time has passed."""
        now = self._clock.now()
        events: list[RunnerEvent] = []
        while self._jobs and self._jobs[0].next_at <= now:
            self._step(self._jobs[0], events)
        return events

    def _step(self, job: _Job, events: list[RunnerEvent]) -> None:
        generation, at = job.request.generation, job.next_at
        try:
            assert job.iterator is not None
            note = next(job.iterator)
        except StopIteration:
            events.append(GenerationDone(generation, at))
        except Exception as exc:
            log.error("generation %d failed: %s: %s", generation, type(exc).__name__, exc)
            events.append(GenerationFailed(generation, f"{type(exc).__name__}: {exc}", at))
        else:
            events.append(NoteArrived(generation, note, at))
            job.next_at = at + self.latency.per_event
            return
        self._finish(at)

    def _finish(self, at: float) -> None:
        self._jobs.popleft()
        if self._jobs:
            self._begin(self._jobs[0], max(at, self._jobs[0].requested_at))

    def cancel(self, generation: int) -> None:
        """Drop a generation: close its iterator (the model stops decoding) or unqueue it."""
        for i, job in enumerate(self._jobs):
            if job.request.generation == generation:
                if job.iterator is not None:
                    _close(job.iterator)
                del self._jobs[i]
                if i == 0 and self._jobs:
                    self._begin(self._jobs[0], self._clock.now())
                return

    def observe(self, notes: Sequence[Note]) -> None:
        """Pass played notes to every model built so far."""
        if not notes:
            return
        for model in self._all_models():
            try:
                model.observe(notes)
            except Exception as exc:
                log.error("model failed to observe notes: %s", exc)

    def next_arrival(self) -> float | None:
        return self._jobs[0].next_at if self._jobs else None

    def busy(self) -> bool:
        """True while a generation is decoding or queued."""
        return bool(self._jobs)

    def cancel_all(self) -> None:
        """Cancel every queued or running generation (the models stay open)."""
        for job in list(self._jobs):
            if job.iterator is not None:
                _close(job.iterator)
        self._jobs.clear()

    def close(self) -> None:
        """Cancel everything and close every model built."""
        self.cancel_all()
        for model in self._all_models():
            model.close()

    def _all_models(self) -> list[Model]:
        models = list(self._models.values())
        return [*models, self._default] if self._default is not None else models


def model_key(spec: ModelSpec) -> ModelSpec:
    """Specs that differ only in sampling share one model (sampling travels in each request)."""
    return replace(spec, sampling=SamplingSpec())


def _raising(exc: Exception) -> Iterator[Note]:
    raise exc
    yield  # pragma: no cover


def _close(iterator: Iterator[Note]) -> None:
    close = getattr(iterator, "close", None)
    if close is not None:
        try:
            close()
        except Exception as exc:
            log.error("model failed to cancel a generation: %s", exc)
