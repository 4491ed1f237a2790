"""`Turns`: the bookkeeping of running generations, from a plan to notes in the scheduler.

`start(plan, ...)` registers a generation and starts the runner on its request; `drain(t)` takes the
runner's events and pushes every note that streams back through the generation's filter chain into
the scheduler — dropping notes that arrive after their own onset (too late) and counting them;
`cancel_all` stops every running generation (and, asked to, closes the section's output). A model
error closes that generation's notes and the music goes on.

Its collaborators are handed in: the runner, the scheduler, the recorder and the section stats of the
moment. Not thread-safe: the engine thread owns it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from conductor.core.events import Note, Source
from conductor.core.keys import Key
from conductor.engine.cadence import Trigger
from conductor.engine.generation import Generation, SectionStats
from conductor.engine.plan import GenerationPlan
from conductor.engine.runner import GenerationDone, GenerationFailed, ModelRunner, NoteArrived, RunnerEvent
from conductor.engine.scheduler import Scheduler
from conductor.engine.sink import TakeSink
from conductor.engine.take_events import GenerationEnded, ModelFailed

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outlet:
    """How notes leave the filters at this moment: on the AI's `channel`, not at all while `mute`."""

    channel: int
    mute: bool


class Turns:
    """The running generations and their ids (see the module docstring)."""

    def __init__(
        self, runner: ModelRunner, scheduler: Scheduler, recorder: TakeSink, stats: Callable[[], SectionStats]
    ) -> None:
        self.runner = runner
        self.scheduler = scheduler
        self.recorder = recorder
        self.stats = stats  # the current section's stats
        self.running: dict[int, Generation] = {}
        self.next_id = 0
        self.section_first = 0  # the first generation id of the current section
        self.last_key: Key | None = None  # the last detected key played in
        self.last_latency: float | None = None  # first-note latency of the last generation

    def new_section(self) -> None:
        """Generations from now on belong to a new section (`cancel_all(close=True)` closes only theirs)."""
        self.section_first = self.next_id

    def sounding(self) -> bool:
        """Does any output of the current section's generations wait or sound?"""
        return self.scheduler.busy_until(since=self.section_first) is not None

    def start(self, plan: GenerationPlan, trigger: Trigger, section: str, t: float) -> None:
        """Start generation `plan.request.generation` of `section` at `t`."""
        gid = plan.request.generation
        self.next_id = gid + 1
        self.running[gid] = Generation(gid, section, trigger, plan.chain(), plan.key)
        self.last_key = plan.key or self.last_key
        self.runner.start(plan.request, plan.model)
        self.recorder.record(plan.started(trigger, section), t)
        self.stats().generations += 1

    def cancel_all(self, t: float, close: bool = False) -> None:
        """Cancel every running generation; with `close`, also the section's scheduled output."""
        for generation in list(self.running.values()):
            self.runner.cancel(generation.id)
            self._finish(generation, t)
        if close:
            self.scheduler.cancel(range(self.section_first, self.next_id), t)

    # ------------------------------------------------------------ notes streaming back

    def drain(self, t: float, outlet: Outlet) -> None:
        """Take every runner event that has happened and schedule the notes that survive through
        `outlet`."""
        for event in self.runner.poll():
            generation = self.running.get(event.generation)
            if generation is None:
                continue  # cancelled: its late events are ignored
            try:
                self._handle(generation, event, t, outlet)
            except Exception as exc:  # a broken filter must not stop the performance
                self._failed(generation, f"{type(exc).__name__}: {exc}", t)

    def _handle(self, generation: Generation, event: RunnerEvent, t: float, outlet: Outlet) -> None:
        if isinstance(event, NoteArrived):
            generation.arrived += 1
            if generation.first_latency is None:
                self._latency(generation, event.arrival - generation.trigger.at)
            for note in generation.chain.push(event.note):
                self._schedule(generation, note, event.arrival, outlet)
        elif isinstance(event, GenerationDone):
            for note in generation.chain.flush():
                self._schedule(generation, note, event.at, outlet)
            self._finish(generation, event.at)
        elif isinstance(event, GenerationFailed):
            self._failed(generation, event.message, t)

    def _latency(self, generation: Generation, latency: float) -> None:
        generation.first_latency = self.last_latency = latency
        stats = self.stats()
        stats.latency_sum += latency
        stats.latency_count += 1

    def _failed(self, generation: Generation, message: str, t: float) -> None:
        log.error(
            "generation %d in %s failed: %s (its notes are closed)",
            generation.id,
            generation.section,
            message,
        )
        self.runner.cancel(generation.id)
        self.scheduler.cancel(generation.id, t)
        self.recorder.record(ModelFailed(generation.id, generation.section, message), t)
        self.stats().errors += 1
        self._finish(generation, t)

    def _finish(self, generation: Generation, t: float) -> None:
        if self.running.pop(generation.id, None) is None:
            return
        g = generation
        ended = GenerationEnded(g.id, g.section, g.arrived, g.scheduled, g.dropped_late, g.first_latency)
        self.recorder.record(ended, t)

    def _schedule(self, generation: Generation, note: Note, arrival: float, outlet: Outlet) -> None:
        if outlet.mute:
            return
        if note.onset < arrival - 1e-9:
            generation.dropped_late += 1
            self.stats().dropped_late += 1
            return
        self.scheduler.add(note.with_(channel=outlet.channel, source=Source.AI), generation.id)
        generation.scheduled += 1
