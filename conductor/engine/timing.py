"""How a rehearsal charges a model's decoding time to the virtual clock: `Latency` (simulated, a
constant first-note delay and a cost per event: reproducible takes) or `Measured` (the CPU time the
model really took: an honest rehearsal)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

_PER_EVENT = 0.002
T = TypeVar("T")


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


@dataclass(frozen=True, slots=True)
class Measured:
    """Measured decoding time: every model call moves virtual time by the seconds it took, times
    `scale` (2.0: a machine half as fast). `timer` is injectable (tests charge a fixed cost).

    The default timer is this thread's CPU time, not the wall clock: a rehearsal decodes flat out and
    so, on a loaded machine, waits for the CPU far more than the live worker does (which sleeps between
    generations and is scheduled at once when it wakes); charging wall time there overstated the first
    note 2-3x against the same piece played live (bench/bench_honest.py). Decoding runs on one torch
    thread (`SkyTNTModel.from_spec`), which is this thread; with more threads set, CPU time undercounts.
    """

    scale: float = 1.0
    timer: Callable[[], float] = time.thread_time

    def charge(self, call: Callable[[], T]) -> tuple[T, float]:
        """`call()`'s result and its cost in virtual seconds."""
        t0 = self.timer()
        result = call()
        return result, (self.timer() - t0) * self.scale


Timing = Latency | Measured
