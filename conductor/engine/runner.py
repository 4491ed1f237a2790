"""Model runners: how the engine asks a model for notes and receives them as they stream.

`ModelRunner` is the protocol the engine talks to. `InlineRunner` runs the model in the caller's
thread for rehearsals: it pulls the model's generator lazily and stamps every note with a simulated,
deterministic arrival time in virtual time (first-event latency + a cost per event), so the engine
schedules notes as they stream — the first note when it is decoded, not after the whole generation —
and a rehearsal never reads the wall clock. With `Measured` timing instead (an honest rehearsal) it
decodes each event one step ahead and charges the virtual clock the CPU time the model really took
for it, and for each batch of heard notes it observes (batched as the live worker batches them,
which keeps the model busy as it keeps the worker): the take then shows what this machine would play
late, at the price of byte-exact reproducibility. The live helper's `ProcessRunner` runs the model
in a worker process behind the same protocol."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from conductor.backends.base import GenerationRequest, Model, background_all
from conductor.core.events import Note
from conductor.engine.clock import Clock
from conductor.engine.timing import Latency, Measured, Timing
from conductor.piece.compiled import ModelSpec, SamplingSpec

log = logging.getLogger(__name__)

OBSERVE_BATCH_S = 0.2  # heard notes are prefilled together for up to this long (a request ends it)


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


@dataclass(slots=True)
class _Job:
    request: GenerationRequest
    spec: ModelSpec | None
    requested_at: float
    iterator: Iterator[Note] | None = None
    next_at: float = 0.0  # when the next event (note or end) becomes available
    ahead: Note | Exception | None = None  # Measured: the next event, decoded already (StopIteration: end)


class InlineRunner:
    """Runs models in this thread, one generation at a time, with simulated (`Latency`) or measured
    (`Measured`) decoding time in virtual time.

    `models` is either one `Model` or a factory from `ModelSpec` to `Model` (called once per
    distinct spec, sampling ignored: sampling travels in the request). Not thread-safe.
    """

    def __init__(
        self,
        models: Model | Callable[[ModelSpec], Model],
        clock: Clock,
        latency: Timing | None = None,
    ) -> None:
        self._factory = models if callable(models) and not isinstance(models, Model) else None
        self._default: Model | None = None if self._factory else models  # type: ignore[assignment]
        self._models: dict[ModelSpec, Model] = {}
        self._clock = clock
        self.latency: Timing = latency or Latency()
        self._jobs: deque[_Job] = deque()  # the head job is decoding; the rest wait
        self._busy_until = 0.0  # Measured: the model is observing until then
        self._heard: list[Note] = []  # Measured: notes not yet observed, batched as the worker does
        self._heard_at = 0.0

    def start(self, request: GenerationRequest, model: ModelSpec | None = None) -> None:
        """Queue a generation; it starts decoding when the one before it has finished."""
        job = _Job(request, model, self._clock.now())
        if not self._jobs:
            self._begin(job, self._clock.now())
        self._jobs.append(job)

    def _begin(self, job: _Job, at: float) -> None:
        if isinstance(self.latency, Measured):
            self._flush()  # a request ends the worker's batch: its notes are prefilled first
            iterator, cost = self.latency.charge(lambda: self._generate(job))
            job.iterator = iterator
            self._decode_ahead(job, max(at, self._busy_until) + cost)
        else:
            job.next_at = at + self.latency.first
            job.iterator = self._generate(job)

    def _generate(self, job: _Job) -> Iterator[Note]:
        try:
            return self._model_for(job.spec).generate(job.request)
        except Exception as exc:  # a broken model must never stop the performance
            log.error("model failed to start generation %d: %s", job.request.generation, exc)
            return _raising(exc)

    def _decode_ahead(self, job: _Job, at: float) -> None:
        """Measured: decode the job's next event now; it arrives `at` + what decoding it cost."""
        assert isinstance(self.latency, Measured)
        iterator = job.iterator
        assert iterator is not None
        job.ahead, cost = self.latency.charge(lambda: _advance(iterator))
        job.next_at = at + cost

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
        if self._heard and now >= self._heard_at + OBSERVE_BATCH_S:
            self._flush()
        events: list[RunnerEvent] = []
        while self._jobs and self._jobs[0].next_at <= now:
            self._step(self._jobs[0], events)
        return events

    def _step(self, job: _Job, events: list[RunnerEvent]) -> None:
        generation, at = job.request.generation, job.next_at
        assert job.iterator is not None
        measured = isinstance(self.latency, Measured)
        result = job.ahead if measured else _advance(job.iterator)
        if isinstance(result, StopIteration):
            events.append(GenerationDone(generation, at))
        elif isinstance(result, Exception):
            log.error("generation %d failed: %s: %s", generation, type(result).__name__, result)
            events.append(GenerationFailed(generation, f"{type(result).__name__}: {result}", at))
        else:
            assert result is not None
            events.append(NoteArrived(generation, result, at))
            if isinstance(self.latency, Measured):
                self._decode_ahead(job, at)
            else:
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
        """Pass played notes to every model built so far, then let them do their background work. With
        `Measured` timing, notes are batched for `OBSERVE_BATCH_S` (or until a generation starts) as
        the live worker batches them, and the model is busy while it observes them; the background
        work is not charged (live, it runs while the worker is idle and pauses for any request)."""
        if not notes:
            return
        if not isinstance(self.latency, Measured):
            self._observe(notes)
            background_all(self._all_models(), lambda: False)
            return
        if not self._heard:
            self._heard_at = self._clock.now()
        self._heard.extend(notes)
        if self._clock.now() >= self._heard_at + OBSERVE_BATCH_S:
            self._flush()

    def _flush(self) -> None:
        """Measured: observe the batched notes now, charged as busy time."""
        assert isinstance(self.latency, Measured)
        heard, self._heard = self._heard, []
        if heard:
            _, cost = self.latency.charge(lambda: self._observe(heard))
            self._busy_until = max(self._busy_until, self._clock.now()) + cost
            background_all(self._all_models(), lambda: False)

    def _observe(self, notes: Sequence[Note]) -> None:
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


def _advance(iterator: Iterator[Note]) -> Note | Exception:
    """The iterator's next note, or what ended it (`StopIteration`) or broke it (the exception)."""
    try:
        return next(iterator)
    except Exception as exc:  # StopIteration included: the generation's end
        return exc


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
