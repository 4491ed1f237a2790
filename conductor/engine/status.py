"""`EngineStatus`: a snapshot of the engine for the performer's screen, built from the engine's parts.

Engine thread only (it reads the navigator, the running generations and the memory).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from conductor.core.events import Source
from conductor.core.timebase import Timebase
from conductor.engine.generation import SectionStats
from conductor.engine.memory import Memory
from conductor.engine.navigator import Navigator
from conductor.engine.scheduler import Scheduler
from conductor.engine.turns import Turns
from conductor.piece.compiled import Section

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


@dataclass(frozen=True, slots=True)
class Switches:
    """The performer's switches of the moment: stopped, muted, held."""

    stopped: bool
    mute: bool
    hold: bool


@dataclass(frozen=True, slots=True)
class Parts:
    """The engine parts a status reads."""

    nav: Navigator
    turns: Turns
    scheduler: Scheduler
    memory: Memory
    timebase: Timebase


def ai_state(
    section: Section | None, switches: Switches, turns: Turns, scheduler: Scheduler, now: float
) -> str:
    """stopped | muted | held | listening | thinking | playing | waiting."""
    if switches.stopped or section is None:
        return "stopped"
    if switches.mute:
        return "muted"
    if switches.hold:
        return "held"
    if section.silent:
        return "listening"
    if turns.running:
        return "thinking"
    busy = scheduler.busy_until()
    return "playing" if busy is not None and busy > now else "waiting"


def build_status(
    now: float, section: Section | None, switches: Switches, parts: Parts, stats: Iterable[SectionStats]
) -> EngineStatus:
    """The status at `now` of an engine playing `section` (None once stopped)."""
    nxt = parts.nav.next_time()
    left = None if nxt is None else max(0.0, nxt - now)
    upcoming = parts.nav.upcoming() if section else None
    counts = list(stats)
    return EngineStatus(
        time=now,
        section=section.name if section else None,
        mode=section.mode.value if section else None,
        next_section=upcoming.name if upcoming is not None else None,
        time_left=left,
        bars_left=None if left is None else left / parts.timebase.seconds_per_bar,
        ai_state=ai_state(section, switches, parts.turns, parts.scheduler, now),
        key=parts.turns.last_key.name if parts.turns.last_key else None,
        human_rate=parts.memory.density(now, RATE_WINDOW_S, Source.HUMAN),
        ai_rate=parts.memory.density(now, RATE_WINDOW_S, Source.AI),
        latency=parts.turns.last_latency,
        generations=sum(s.generations for s in counts),
        dropped_late=sum(s.dropped_late for s in counts),
        sounding=len(parts.scheduler.sounding()),
    )
