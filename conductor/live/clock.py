"""`LiveClock`: the real clock, restartable once so the piece starts at logical time 0.

Ports, the model worker and the engine all need the same clock, but the ports open and the model
loads before the music starts; `restart()` moves the origin to "now" just before the engine is built.
`now()` and `sleep_until()` are thread-safe and realtime-safe (a float read and `perf_counter`).
"""

from __future__ import annotations

import time


class LiveClock:
    """Monotonic wall time since the last `restart()`; sleeps to ~1 ms before a deadline, then spins."""

    def __init__(self, spin_s: float = 0.001) -> None:
        self._t0 = time.perf_counter()  # written by restart() (main thread, before other threads use it)
        self._spin_s = spin_s

    def restart(self) -> None:
        """Make now() read 0. Call before anything schedules on this clock."""
        self._t0 = time.perf_counter()

    def now(self) -> float:
        """Seconds since the origin."""
        return time.perf_counter() - self._t0

    def sleep_until(self, t: float) -> None:
        """Return once logical time `t` has been reached."""
        remaining = t - self.now()
        if remaining > self._spin_s:
            time.sleep(remaining - self._spin_s)
        while self.now() < t:
            pass
