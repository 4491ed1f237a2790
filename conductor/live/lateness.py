"""Lateness: how late each message left the output port, as the listener hears it and as the clock
thread alone caused it, and the warning when a note goes out audibly late.

- **heard** = send time − the message's intended time (its scheduler deadline: a note's musical
  onset). Whatever made it late counts: a slow model, the engine thread's queue, a parse holding the
  interpreter lock, the clock thread itself. This is the figure a performer should trust.
- **clock** = send time − max(deadline, when the clock thread first saw the message): the clock
  thread's own lateness, which says whether sleeping and spinning keeps time (bench/bench_live.py).

`LatenessHistogram` keeps every sample of a whole performance in log-spaced bins (5 % wide), so a
percentile costs O(bins) however long the show, and recording is one `bisect` and one increment.
`LateNotes` hands notes sent more than `WARN_S` late from the clock thread to the engine thread,
which turns them into at most one log line per `every_s` (the first at once).

Thread safety: `LatenessHistogram.record` and `LateNotes.sent_late` are called by ONE thread (the
clock thread) and are realtime-safe (no allocation beyond one tuple, no lock, no I/O).
`LatenessHistogram.summary` may be called from any thread: it copies the counts (a summary taken
mid-record may miss that one sample). `LateNotes.report` is for one other thread (the engine's).
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from dataclasses import dataclass

import mido

WARN_S = 0.010  # a note this late is audibly late: warn
_FIRST_EDGE_S = 1e-6  # below 1 µs counts as on time
_GROWTH = 1.05  # each bin 5 % wider than the last
_EDGES = tuple(_FIRST_EDGE_S * _GROWTH**i for i in range(int(math.log(1e8) / math.log(_GROWTH)) + 2))


@dataclass(frozen=True, slots=True)
class Lateness:
    """Send lateness in milliseconds: how many sends, median, 99th percentile, worst."""

    count: int
    p50_ms: float
    p99_ms: float
    max_ms: float


def lateness_of(samples: list[float]) -> Lateness:
    """p50/p99/max of `samples` (seconds) in milliseconds, exactly."""
    if not samples:
        return Lateness(0, 0.0, 0.0, 0.0)
    s = sorted(samples)

    def pick(q: float) -> float:
        return s[min(len(s) - 1, int(q * len(s)))] * 1000.0

    return Lateness(len(s), pick(0.5), pick(0.99), s[-1] * 1000.0)


class LatenessHistogram:
    """Lateness samples of a whole performance in log-spaced bins (1 µs … 100 s, 5 % wide)."""

    def __init__(self) -> None:
        self._counts = [0] * (len(_EDGES) + 1)  # bin i holds samples in [EDGES[i-1], EDGES[i])
        self.count = 0
        self.max_s = 0.0

    def record(self, late_s: float) -> None:
        """Add one sample (seconds; negative counts as 0). Realtime-safe; one writer thread."""
        self._counts[bisect.bisect_right(_EDGES, late_s)] += 1
        self.count += 1
        if late_s > self.max_s:
            self.max_s = late_s

    def summary(self) -> Lateness:
        """Count, p50, p99 (each to within 5 %: the upper edge of its bin, capped by the worst) and
        the exact worst, in milliseconds. Thread-safe."""
        counts, total, worst = list(self._counts), sum(self._counts), self.max_s
        if total == 0:
            return Lateness(0, 0.0, 0.0, 0.0)

        def pick(q: float) -> float:
            rank, seen = min(total - 1, int(q * total)), 0
            for i, n in enumerate(counts):
                seen += n
                if seen > rank:
                    return 0.0 if i == 0 else min(_EDGES[min(i, len(_EDGES) - 1)], worst) * 1000.0
            return worst * 1000.0

        return Lateness(total, pick(0.5), pick(0.99), worst * 1000.0)


@dataclass(frozen=True, slots=True)
class LateReport:
    """Notes that went out more than `WARN_S` late since the last report: how many, the worst."""

    count: int
    worst_ms: float
    example: str  # the worst one, e.g. "note_on 64 ch 3"

    def line(self, every_s: float) -> str:
        """The warning a performer reads."""
        if self.count == 1:
            return f"a note went out {self.worst_ms:.1f} ms late ({self.example})"
        return (
            f"{self.count} notes went out more than {WARN_S * 1000:.0f} ms late in the last "
            f"{every_s:g} s, worst {self.worst_ms:.1f} ms ({self.example})"
        )


class LateNotes:
    """Clock thread → engine thread: notes sent more than `threshold_s` late, reported rate-limited."""

    def __init__(self, threshold_s: float = WARN_S, every_s: float = 1.0, keep: int = 256) -> None:
        self.threshold_s = threshold_s
        self.every_s = every_s
        self._queue: deque[tuple[float, mido.Message]] = deque(maxlen=keep)  # clock thread appends
        self.count = 0  # written by the clock thread only: every late note so far
        self._reported = 0  # the reporting thread only
        self._next_report = 0.0  # the reporting thread only (its own time base)

    def sent_late(self, late_s: float, msg: mido.Message) -> None:
        """Called by the clock thread for every send; keeps it if late. Realtime-safe."""
        if late_s > self.threshold_s:
            self._queue.append((late_s, msg))
            self.count += 1

    def report(self, now: float) -> LateReport | None:
        """What to warn about at `now` (monotonic seconds): at once for the first late note, then
        at most once per `every_s`. One reporting thread."""
        if self.count == self._reported or now < self._next_report:
            return None
        items = []
        while self._queue:
            items.append(self._queue.popleft())
        count, self._reported = self.count - self._reported, self.count
        self._next_report = now + self.every_s
        if not items:
            return LateReport(count, self.threshold_s * 1000.0, "details dropped")
        late, msg = max(items, key=lambda item: item[0])
        return LateReport(count, late * 1000.0, describe(msg))


def describe(msg: mido.Message) -> str:
    """A MIDI message in a few words, channels counted from 1: `note_on 64 ch 3`."""
    words = [msg.type]
    for field in ("note", "control", "program"):
        if hasattr(msg, field):
            words.append(str(getattr(msg, field)))
    if hasattr(msg, "channel"):
        words.append(f"ch {msg.channel + 1}")
    return " ".join(words)
