"""Clocks: logical time in seconds since the performance started.

The engine never reads the wall clock itself; it is handed a `Clock`. `RealClock` follows the
monotonic clock, `VirtualClock` moves only when told to (rehearsals and tests).
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Logical time source. `now()` is thread-safe and realtime-safe in both implementations."""

    def now(self) -> float:
        """Seconds of logical time since the start."""
        ...

    def sleep_until(self, t: float) -> None:
        """Return once logical time `t` has been reached."""
        ...


class RealClock:
    """Monotonic wall time since the last `restart()`; sleeps to ~1 ms before a deadline, then spins.

    Ports open and the model loads before the music starts: `restart()` moves the origin to "now"
    just before the engine is built, so the piece starts at logical time 0.
    """

    def __init__(self, spin_s: float = 0.001) -> None:
        self._t0 = time.perf_counter()  # written by restart() (before other threads use the clock)
        self._spin_s = spin_s

    def restart(self) -> None:
        """Make now() read 0. Call before anything schedules on this clock."""
        self._t0 = time.perf_counter()

    def now(self) -> float:
        return time.perf_counter() - self._t0

    def sleep_until(self, t: float) -> None:
        remaining = t - self.now()
        if remaining > self._spin_s:
            time.sleep(remaining - self._spin_s)
        while self.now() < t:
            pass


class VirtualClock:
    """A clock that only advances when told: `sleep_until` jumps straight to the deadline."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def sleep_until(self, t: float) -> None:
        self.advance_to(t)

    def advance_to(self, t: float) -> None:
        """Move time forward to `t` (never backwards)."""
        if t > self._now:
            self._now = t
