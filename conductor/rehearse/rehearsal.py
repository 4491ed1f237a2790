"""The rehearsal loop: the engine on a virtual clock, fed a recorded human, as fast as the model allows.

Time jumps from one thing to the next — a human message, a press, a runner arrival, a trigger, a
scheduled message — so a light model rehearses far faster than real time. With simulated model time
(`Latency`) the same seed and inputs always give the same take; with measured time (`Measured`, an
honest rehearsal) each decoded event moves the virtual clock by what it really cost on this machine,
so notes that would be late on stage are dropped as late here too (and the take may differ by those).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass

from conductor.backends.base import Model
from conductor.engine.clock import VirtualClock
from conductor.engine.engine import Engine
from conductor.engine.runner import InlineRunner
from conductor.engine.timing import Latency, Measured, Timing
from conductor.piece.compiled import ModelSpec, Piece
from conductor.rehearse.human import HumanInput, Press
from conductor.rehearse.take import Take

ModelSource = Model | Callable[[ModelSpec], Model]


@dataclass(frozen=True, slots=True)
class Rehearsal:
    """What a rehearsal produced: the take, the engine (its stats) and when it ended."""

    take: Take
    engine: Engine
    end: float


LIVE_LEAD = 0.05  # how early `perform` asks for a generation (the engine's default lead)


def lead_for(latency: Timing) -> float:
    """How long before its first note a generation is asked for. Simulated: the first-note latency
    plus a few events (filters that wait for a chord to complete), and at least 50 ms. Measured: what
    `perform` uses, so the rehearsal is late exactly where the stage would be."""
    if isinstance(latency, Measured):
        return LIVE_LEAD
    return max(LIVE_LEAD, latency.first + 8 * latency.per_event)


def rehearse(
    piece: Piece,
    human: HumanInput,
    models: ModelSource,
    *,
    seed: int = 0,
    latency: Timing | None = None,
    tail_bars: float = 2.0,
    on_step: Callable[[Engine, float], None] | None = None,
) -> Rehearsal:
    """Play `piece` against `human`; stops when the piece stops or `tail_bars` after the input ends."""
    latency = latency or Latency()
    clock = VirtualClock()
    take = Take()
    runner = InlineRunner(models, clock, latency)
    engine = Engine(piece, clock, runner, seed=seed, recorder=take, lead=lead_for(latency))
    end = human.end + tail_bars * piece.timebase.seconds_per_bar
    t = _play(engine, clock, _Inputs(human), end, on_step)
    engine.stop(t)
    engine.drain(math.inf)  # only closing note-offs are left (a change may land a hair after t)
    runner.cancel_all()
    return Rehearsal(take, engine, t)


def _play(
    engine: Engine,
    clock: VirtualClock,
    inputs: _Inputs,
    end: float,
    on_step: Callable[[Engine, float], None] | None,
) -> float:
    """Advance from event to event until the piece stops or `end`; returns the final time."""
    t = 0.0
    while True:
        inputs.feed(engine, t)
        wake = engine.step(t)
        engine.drain(t)
        if on_step is not None:
            on_step(engine, t)
        times = [x for x in (wake, engine.scheduler.next_deadline(), inputs.next_time()) if x is not None]
        nxt = min(times, default=None)
        if engine.stopped or nxt is None or nxt > end:
            return max(t, min(end, clock.now()))
        t = max(nxt, t)
        clock.advance_to(t)


class _Inputs:
    """Human messages and presses merged in time order (messages before presses at equal times)."""

    def __init__(self, human: HumanInput) -> None:
        self._queue: list[tuple[float, int, int, object]] = []
        for i, (t, msg) in enumerate(human.messages):
            self._queue.append((t, 0, i, msg))
        for i, press in enumerate(human.presses):
            self._queue.append((press.t, 1, i, press))
        heapq.heapify(self._queue)

    def next_time(self) -> float | None:
        return self._queue[0][0] if self._queue else None

    def feed(self, engine: Engine, t: float) -> None:
        while self._queue and self._queue[0][0] <= t:
            at, _, _, item = heapq.heappop(self._queue)
            if isinstance(item, Press):
                engine.press(item.action, at, item.target)
            else:
                engine.on_message(item, at)
