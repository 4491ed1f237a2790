"""A stable key for the AI to play in: detected from the human, slow to change its mind.

Detecting the key afresh from each generation's short listening window makes it wander (a 4-bar
G-major phrase can read as A minor or C major), and listening to the AI's own output lets one wrong
key feed itself. So the tracker reads only the human's notes, over at least `min_window` (8 bars
by default), and keeps its current key unless another key fits the same notes better by `margin`.
A key with the same scale (G major ↔ E minor) is never a reason to change.

Not thread-safe: the engine thread owns it. `update` is cheap (a histogram and 24 correlations,
cached), so it is realtime-safe enough for the engine thread, never called on the clock thread.
"""

from __future__ import annotations

from collections.abc import Sequence

from conductor.core.events import Note, Source
from conductor.core.keys import Key, detect_key, key_correlation
from conductor.core.timebase import Span, Timebase, Unit
from conductor.engine.memory import Memory


class KeyTracker:
    """The current key of the performance, with hysteresis."""

    def __init__(self, min_window: Span = Span(8, Unit.BARS), margin: float = 0.08) -> None:
        self.min_window = min_window
        self.margin = margin
        self.current: Key | None = None

    def update(
        self, memory: Memory, now: float, window: Span, tb: Timebase, held: Sequence[Note] = ()
    ) -> Key | None:
        """The key after hearing the human's notes up to `now` (None until the human has played)."""
        notes = memory.window(now, self._span(window, tb), frozenset({Source.HUMAN}), tb, 4096, held)
        return self.observe(notes)

    def observe(self, notes: Sequence[Note]) -> Key | None:
        """Update from an explicit set of human notes; returns the key to play in."""
        best = detect_key(notes)
        if best is None:
            return self.current
        if self.current is None or self._better(best, notes):
            self.current = best
        return self.current

    def _better(self, best: Key, notes: Sequence[Note]) -> bool:
        assert self.current is not None
        if best.pitch_classes == self.current.pitch_classes:
            return False
        return best.correlation > key_correlation(notes, self.current) + self.margin

    def _span(self, window: Span, tb: Timebase) -> Span:
        """The longer of the section's window and `min_window`, in seconds (a note count stays)."""
        if window.unit is Unit.NOTES:
            return Span(max(window.amount, 64), Unit.NOTES)
        return Span(max(window.seconds(tb), self.min_window.seconds(tb)), Unit.SECONDS)
