"""`EngineStatus`: a snapshot of the engine for the performer's screen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from conductor.core.events import Source

if TYPE_CHECKING:
    from conductor.engine.engine import Engine

RATE_WINDOW_S = 4.0


@dataclass(frozen=True, slots=True)
class EngineStatus:
    """Where the performance is. Times in seconds of logical time; rates in notes per second."""

    time: float
    section: str | None
    mode: str | None
    next_section: str | None
    time_left: float | None  # until the section's length runs out or a pressed change lands
    bars_left: float | None
    ai_state: str  # stopped | muted | held | listening | thinking | playing | waiting
    key: str | None  # the last detected key
    human_rate: float
    ai_rate: float
    latency: float | None  # first-note latency of the last generation (model time)
    generations: int
    dropped_late: int
    sounding: int


def _ai_state(engine: Engine, now: float) -> str:
    section = engine.section
    if engine.stopped or section is None:
        return "stopped"
    if engine.mute:
        return "muted"
    if engine.hold:
        return "held"
    if section.silent:
        return "listening"
    if engine.turns.running:
        return "thinking"
    busy = engine.scheduler.busy_until()
    return "playing" if busy is not None and busy > now else "waiting"


def build_status(engine: Engine, now: float) -> EngineStatus:
    """The engine's status at `now` (engine thread)."""
    section = engine.section
    nxt = engine.nav.next_time()
    left = None if nxt is None else max(0.0, nxt - now)
    tb = engine.piece.timebase
    return EngineStatus(
        time=now,
        section=section.name if section else None,
        mode=section.mode.value if section else None,
        next_section=(up.name if (up := engine.nav.upcoming()) is not None else None) if section else None,
        time_left=left,
        bars_left=None if left is None else left / tb.seconds_per_bar,
        ai_state=_ai_state(engine, now),
        key=engine.turns.last_key.name if engine.turns.last_key else None,
        human_rate=engine.memory.density(now, RATE_WINDOW_S, Source.HUMAN),
        ai_rate=engine.memory.density(now, RATE_WINDOW_S, Source.AI),
        latency=engine.turns.last_latency,
        generations=sum(s.generations for s in engine.stats.values()),
        dropped_late=sum(s.dropped_late for s in engine.stats.values()),
        sounding=len(engine.scheduler.sounding()),
    )
