"""Keeping floods small: a token bucket for messages, and a log that says the first of a kind at once
and then at most one summary a second.

Neither is thread-safe: each belongs to the one thread that uses it (the OSC receiver, a websocket's
handler). Times are `time.monotonic()` seconds passed in, so tests drive them by hand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

MAX_KINDS = 256  # kinds of warning remembered at once; the oldest is forgotten past that
EPS = 1e-9  # a token refilled by float arithmetic may fall short of 1 by rounding


@dataclass
class TokenBucket:
    """Lets `rate` events a second through, with bursts of up to `burst`."""

    rate: float
    burst: float
    _tokens: float = field(init=False)
    _at: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._tokens = self.burst

    def wait(self, now: float) -> float:
        """Seconds from `now` until one event may pass (0 if one may now)."""
        tokens = (
            self._tokens if self._at is None else min(self.burst, self._tokens + (now - self._at) * self.rate)
        )
        return 0.0 if tokens >= 1.0 - EPS else (1.0 - tokens) / self.rate

    def take(self, now: float) -> bool:
        """Whether one more event may pass at `now` (it uses a token if so)."""
        if self._at is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1.0 - EPS:
            self._tokens -= 1.0
            return True
        return False


@dataclass
class _Kind:
    logged_at: float
    held: int = 0  # warnings of this kind not logged since logged_at
    last: str = ""


class QuietLog:
    """Warnings by kind: the first of a kind is logged at once; more of the same kind within `period`
    are counted and summed up in one line ('… and 41 more like it in the last 1.0 s') when the next one
    comes after the period or `flush` is called."""

    def __init__(self, logger: logging.Logger, period: float = 1.0) -> None:
        self._log = logger
        self._period = period
        self._kinds: dict[str, _Kind] = {}

    def warn(self, kind: str, message: str, now: float) -> None:
        """Log `message` now, or count it if a warning of `kind` was logged less than a period ago."""
        state = self._kinds.get(kind)
        if state is not None and now - state.logged_at < self._period:
            state.held += 1
            state.last = message
            return
        held = state.held if state else 0
        self._log.warning("%s%s", message, self._more(held, now - state.logged_at) if state else "")
        self._kinds.pop(kind, None)
        self._kinds[kind] = _Kind(now)
        if len(self._kinds) > MAX_KINDS:
            self._kinds.pop(next(iter(self._kinds)))

    def flush(self, now: float) -> None:
        """Log the summary of every kind whose period has passed with warnings held back."""
        for kind, state in list(self._kinds.items()):
            if state.held and now - state.logged_at >= self._period:
                self._log.warning("%s%s", state.last, self._more(state.held - 1, now - state.logged_at))
                self._kinds[kind] = _Kind(now)

    @staticmethod
    def _more(count: int, seconds: float) -> str:
        return f" (and {count} more like it in the last {seconds:.1f} s)" if count > 0 else ""
