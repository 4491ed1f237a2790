"""The AI side of the engine: when to answer, each generation's request, filters and notes.

`Turns` belongs to one `Engine` and runs on the engine thread. For each trigger it builds the
request (the key detected once per generation, from the listening window, and fed into the
request's constraints and the filters), starts the runner, and pushes every note that streams back
through the generation's `FilterChain` into the scheduler — dropping notes that arrive after their
own onset (too late) and counting them.
"""

from __future__ import annotations

import logging
import random
from dataclasses import replace
from typing import TYPE_CHECKING

from conductor.backends.base import GenerationRequest
from conductor.core.events import Note, Source
from conductor.core.keys import Key
from conductor.engine.cadence import Cadence, Trigger
from conductor.engine.context import build_request, constraints_for, turn_events
from conductor.engine.filters import FilterChain, FilterContext
from conductor.engine.generation import Generation
from conductor.engine.keytrack import KeyTracker
from conductor.engine.runner import GenerationDone, GenerationFailed, NoteArrived, RunnerEvent
from conductor.engine.take_events import GenerationEnded, GenerationStarted, ModelFailed
from conductor.piece.compiled import DetectKey, KeyFilter, SamplingSpec, Section
from conductor.piece.names import ExitPolicy, Overlap

if TYPE_CHECKING:
    from conductor.engine.engine import Engine

log = logging.getLogger(__name__)


def mix_seed(*parts: int) -> int:
    """A deterministic 31-bit seed from integers."""
    seed = 0x2545F491
    for part in parts:
        seed = (seed * 1_000_003 + part) % (2**31 - 1)
    return seed


class Turns:
    """Triggers and generations of the current section (see the module docstring)."""

    def __init__(self, engine: Engine, lead: float) -> None:
        self.engine = engine
        self.lead = lead
        self.running: dict[int, Generation] = {}
        self.next_id = 0
        self.section_first = 0  # the first generation id of the current section
        self.section: Section | None = None
        self.cadence: Cadence | None = None
        self.manual: Trigger | None = None
        self.last_key: Key | None = None
        self.keys = KeyTracker()
        self.last_latency: float | None = None

    # ------------------------------------------------------------ sections

    def enter(self, section: Section, start: float, resume_at: float | None = None) -> None:
        """Start answering in `section` (started at `start`; after a reload, from `resume_at`)."""
        self.section = section
        self.cadence = Cadence(section, self.engine.piece.timebase, start, self.lead)
        if resume_at is not None:
            self.cadence.resume(resume_at)
        self.section_first = self.next_id
        self.manual = None

    def leave(self, t: float) -> None:
        """The section ends at `t`: stop decoding; cancel its output unless it is to ring."""
        ring = self.section is not None and self.section.on_exit is ExitPolicy.RING
        self.cancel_all(t, close=not ring)

    def cancel_all(self, t: float, close: bool = False) -> None:
        """Cancel every running generation; with `close`, also the section's scheduled output."""
        for generation in list(self.running.values()):
            self.engine.runner.cancel(generation.id)
            self._finish(generation, t)
        if close:
            self.engine.scheduler.cancel(range(self.section_first, self.next_id), t)

    def heard(self, end: float | None = None) -> None:
        """A human note began (`end` None) or ended at `end` (phrase-end cadence)."""
        if self.cadence is not None:
            self.cadence.heard(end)

    def regenerate(self, t: float) -> None:
        """Answer now: a trigger on the next grid point of the piece's `changes_on`."""
        if self.cadence is not None:
            self.manual = self.cadence.manual(t, self.engine.piece.changes_on)

    # ------------------------------------------------------------ triggers

    def next_time(self) -> float | None:
        """When a trigger could next fire."""
        times = [self.cadence.next_time() if self.cadence else None, self.manual.at if self.manual else None]
        return min((x for x in times if x is not None), default=None)

    def maybe_trigger(self, t: float) -> None:
        """Start the generation due at `t`, if any (never in a silent section or while held)."""
        if self.cadence is None or self.section is None:
            return
        trigger = self._due_trigger(t)
        if trigger is None or self.section.silent or self.engine.hold:
            return
        replacing = self.section.cadence.overlap is Overlap.REPLACE or trigger.reason == "turn"
        if replacing or trigger.reason == "regenerate":
            self.cancel_all(max(t, trigger.start), close=replacing)
        self._start(trigger, t)

    def _due_trigger(self, t: float) -> Trigger | None:
        assert self.cadence is not None
        busy = self.engine.scheduler.busy_until(since=self.section_first)
        trigger = self.cadence.poll(
            t, held=bool(self.engine.tracker.held(t)), running=bool(self.running), sounding=busy is not None
        )
        if self.manual is not None and t >= self.manual.at - 1e-9:
            trigger, self.manual = self.manual, None
        return trigger

    def _start(self, trigger: Trigger, t: float) -> None:
        engine, section = self.engine, self.section
        assert section is not None
        gid = self.next_id
        self.next_id += 1
        request, key = self._request(section, trigger, t, gid)
        ctx = FilterContext.from_request(request, mix_seed(engine.seed, gid), key=key, clip=trigger.clip)
        self.running[gid] = Generation(gid, section.name, trigger, FilterChain(section.filters, ctx), key)
        self.last_key = key or self.last_key
        engine.runner.start(request, section.model)
        s = request.sampling
        started = GenerationStarted(
            gid, section.name, trigger.reason, trigger.start, trigger.until, s.temperature, s.top_p,
            s.top_k, s.seed, key.name if key else None, len(request.context), request.max_events,
        )  # fmt: skip
        engine.recorder.record(started, t)
        engine._section_stats().generations += 1

    def _request(
        self, section: Section, trigger: Trigger, t: float, gid: int
    ) -> tuple[GenerationRequest, Key | None]:
        engine = self.engine
        held = engine.tracker.held(t)
        request = build_request(engine.piece, section, engine.memory, t, gid, held=held, until=trigger.until)
        key = None
        if any(isinstance(f, KeyFilter) and isinstance(f.key, DetectKey) for f in section.filters):
            # once per generation, from the human over a longer window, with hysteresis
            key = self.keys.update(engine.memory, t, section.listen.window, engine.piece.timebase, held)
        constraints = constraints_for(engine.piece, section, key) if key else request.constraints
        sampling = self._sampling(section.model.sampling, gid)
        events = request.max_events
        if trigger.reason == "turn":
            events = turn_events(events, trigger.start, trigger.until, engine.piece.timebase)
        request = replace(request, start=trigger.start, sampling=sampling, max_events=events)
        return replace(request, constraints=constraints), key

    def _sampling(self, spec: SamplingSpec, gid: int) -> SamplingSpec:
        params = self.engine.params
        base = spec.seed if spec.seed is not None else self.engine.seed
        return replace(
            spec,
            temperature=params.get("temperature", spec.temperature),
            top_p=params.get("top_p", spec.top_p),
            seed=mix_seed(base, gid),
        )

    # ------------------------------------------------------------ notes streaming back

    def drain_runner(self, t: float) -> None:
        """Take every runner event that has happened and schedule the notes that survive."""
        for event in self.engine.runner.poll():
            generation = self.running.get(event.generation)
            if generation is None:
                continue  # cancelled: its late events are ignored
            try:
                self._handle(generation, event, t)
            except Exception as exc:  # a broken filter must not stop the performance
                self._failed(generation, f"{type(exc).__name__}: {exc}", t)

    def _handle(self, generation: Generation, event: RunnerEvent, t: float) -> None:
        if isinstance(event, NoteArrived):
            generation.arrived += 1
            if generation.first_latency is None:
                self._latency(generation, event.arrival - generation.trigger.at)
            for note in generation.chain.push(event.note):
                self._schedule(generation, note, event.arrival)
        elif isinstance(event, GenerationDone):
            for note in generation.chain.flush():
                self._schedule(generation, note, event.at)
            self._finish(generation, event.at)
        elif isinstance(event, GenerationFailed):
            self._failed(generation, event.message, t)

    def _latency(self, generation: Generation, latency: float) -> None:
        generation.first_latency = self.last_latency = latency
        stats = self.engine._section_stats()
        stats.latency_sum += latency
        stats.latency_count += 1

    def _failed(self, generation: Generation, message: str, t: float) -> None:
        log.error(
            "generation %d in %s failed: %s (its notes are closed)",
            generation.id,
            generation.section,
            message,
        )
        self.engine.runner.cancel(generation.id)
        self.engine.scheduler.cancel(generation.id, t)
        self.engine.recorder.record(ModelFailed(generation.id, generation.section, message), t)
        self.engine._section_stats().errors += 1
        self._finish(generation, t)

    def _finish(self, generation: Generation, t: float) -> None:
        if self.running.pop(generation.id, None) is None:
            return
        g = generation
        ended = GenerationEnded(g.id, g.section, g.arrived, g.scheduled, g.dropped_late, g.first_latency)
        self.engine.recorder.record(ended, t)

    def _schedule(self, generation: Generation, note: Note, arrival: float) -> None:
        engine = self.engine
        if engine.mute:
            return
        if note.onset < arrival - 1e-9:
            generation.dropped_late += 1
            engine._section_stats().dropped_late += 1
            return
        shaped = self._shape(note, generation.id)
        if shaped is not None:
            engine.scheduler.add(
                shaped.with_(channel=engine.piece.routing.ai_channel, source=Source.AI), generation.id
            )
            generation.scheduled += 1

    def _shape(self, note: Note, gid: int) -> Note | None:
        """Live params: `density` (keep probability) and `velocity` (scale)."""
        params = self.engine.params
        if "density" in params:
            rng = random.Random(f"{self.engine.seed}:{gid}:{note.onset:.6f}:{note.pitch}")
            if rng.random() >= params["density"]:
                return None
        if "velocity" in params:
            note = note.with_(velocity=min(127, max(1, round(note.velocity * params["velocity"]))))
        return note
