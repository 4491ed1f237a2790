"""Bookkeeping of generations: one running generation, and what happened in each section.

Not thread-safe: the engine thread owns all of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from conductor.core.keys import Key
from conductor.engine.cadence import Trigger
from conductor.engine.filters import FilterChain


@dataclass(slots=True)
class Generation:
    """One running generation: its trigger, filter chain, detected key (once) and counts."""

    id: int
    section: str
    trigger: Trigger
    chain: FilterChain
    key: Key | None
    arrived: int = 0
    scheduled: int = 0
    dropped_late: int = 0
    first_latency: float | None = None


@dataclass(slots=True)
class SectionStats:
    """What happened in one section (all its visits together)."""

    name: str
    notes_in: int = 0
    notes_out: int = 0
    generations: int = 0
    dropped_late: int = 0
    errors: int = 0
    latency_sum: float = 0.0
    latency_count: int = 0

    @property
    def mean_latency(self) -> float | None:
        """Mean first-note latency in model (logical) time, or None without generations."""
        return self.latency_sum / self.latency_count if self.latency_count else None


class Tally(dict[str, SectionStats]):
    """`SectionStats` by section name (all visits of a section together), made on first use."""

    def of(self, name: str) -> SectionStats:
        """The stats of section `name`."""
        if name not in self:
            self[name] = SectionStats(name)
        return self[name]
