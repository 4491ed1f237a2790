"""Memory: a bounded, time-indexed store of everything the human and the AI played.

Notes are kept per source in onset order (ties by channel and pitch), so "the last 4 bars / 8 s /
64 notes of these sources" is a binary search plus a small merge. The memory never grows without
bound: every `add` drops notes that started more than `max_age_s` before the newest note's end,
and the oldest notes beyond `max_notes` in all.

A note belongs to a window if its onset lies in `[now - span, now]` (both ends included; onsets
after `now` — scheduled but not yet sounding — are left out). Notes still held are passed in by the
caller (from `NoteTracker.held`) with their duration so far.

Not thread-safe: one caller (the engine thread). `add`, `window` and `density` are realtime-safe:
O(log n) lookups plus list inserts/deletes (memmoves of at most `max_notes`
pointers), and work proportional to the window's size.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Iterable

from conductor.core.events import Note, Source, note_order, sort_notes
from conductor.core.timebase import Span, Timebase, Unit

_EPS = 1e-9  # onsets this close to a window edge count as on it (float noise from bar arithmetic)


class _Track:
    """The notes of one source, sorted by `note_order`, with a parallel list of keys for bisect."""

    def __init__(self) -> None:
        self.keys: list[tuple[float, int, int]] = []
        self.notes: list[Note] = []

    def add(self, note: Note) -> None:
        key = note_order(note)
        i = bisect_right(self.keys, key)
        self.keys.insert(i, key)
        self.notes.insert(i, note)

    def drop_before(self, onset: float) -> int:
        """Drop notes starting before `onset`; return how many went."""
        i = bisect_left(self.keys, (onset - _EPS,))
        del self.keys[:i], self.notes[:i]
        return i

    def drop_first(self, count: int) -> None:
        del self.keys[:count], self.notes[:count]

    def between(self, low: float, high: float) -> list[Note]:
        """Notes with onset in [low, high] (inclusive, with float tolerance)."""
        i = bisect_left(self.keys, (low - _EPS,))
        j = bisect_right(self.keys, (high + _EPS, 16, 128))
        return self.notes[i:j]

    def last(self, count: int, high: float) -> list[Note]:
        """The `count` latest notes with onset <= high."""
        j = bisect_right(self.keys, (high + _EPS, 16, 128))
        return self.notes[max(0, j - count) : j]


class Memory:
    """Bounded memory of human and AI notes, indexed by onset time."""

    def __init__(self, max_age_s: float = 900.0, max_notes: int = 8192) -> None:
        if max_age_s <= 0 or max_notes <= 0:
            raise ValueError(f"memory limits must be positive, got {max_age_s} s / {max_notes} notes")
        self.max_age_s = max_age_s
        self.max_notes = max_notes
        self._tracks: dict[Source, _Track] = {source: _Track() for source in Source}
        self._latest = float("-inf")  # the latest note end seen: "now" for pruning by age
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, note: Note) -> None:
        """Remember a completed note (any order of onsets is fine), pruning old ones."""
        self._tracks[note.source].add(note)
        self._count += 1
        if note.end > self._latest:
            self._latest = note.end
            self._prune_age()
        if self._count > self.max_notes:
            self._prune_count()

    def extend(self, notes: Iterable[Note]) -> None:
        """`add` each note."""
        for note in notes:
            self.add(note)

    def notes(self, source: Source) -> tuple[Note, ...]:
        """Everything remembered of `source`, in onset order."""
        return tuple(self._tracks[source].notes)

    def window(
        self,
        now: float,
        span: Span,
        sources: Iterable[Source],
        tb: Timebase,
        max_events: int,
        held: Iterable[Note] = (),
    ) -> tuple[Note, ...]:
        """The last `span` (bars, beats, seconds or notes) of `sources` before `now`, held notes included.

        At most `max_events` notes (the newest), sorted by onset, then channel, then pitch.
        """
        wanted = frozenset(sources)
        held_in = [n for n in held if n.source in wanted and n.onset <= now + _EPS]
        if span.unit is Unit.NOTES:
            count = min(int(span.amount), max_events)
            parts = [self._tracks[s].last(count, now) for s in sorted(wanted)]
        else:
            low = now - span.seconds(tb)
            count = max_events
            parts = [self._tracks[s].between(low, now) for s in sorted(wanted)]
            held_in = [n for n in held_in if n.onset >= low - _EPS]
        parts.append(sort_notes(held_in))
        merged = list(heapq.merge(*parts, key=note_order))
        return tuple(merged[max(0, len(merged) - count) :]) if count > 0 else ()

    def density(self, now: float, seconds: float, source: Source) -> float:
        """Notes of `source` per second with onsets in [now - seconds, now] (0.0 for an empty span)."""
        if seconds <= 0:
            return 0.0
        return len(self._tracks[source].between(now - seconds, now)) / seconds

    def clear(self) -> None:
        """Forget everything."""
        for track in self._tracks.values():
            track.drop_first(len(track.notes))
        self._count = 0
        self._latest = float("-inf")

    # ------------------------------------------------------------------ pruning

    def _prune_age(self) -> None:
        cutoff = self._latest - self.max_age_s
        for track in self._tracks.values():
            if track.keys and track.keys[0][0] < cutoff - _EPS:
                self._count -= track.drop_before(cutoff)

    def _prune_count(self) -> None:
        """Drop the globally oldest notes until `max_notes` remain."""
        excess = self._count - self.max_notes
        oldest = heapq.nsmallest(
            excess,
            ((key, source) for source, track in self._tracks.items() for key in track.keys[:excess]),
        )
        for source in Source:
            n = sum(1 for _, s in oldest if s is source)
            self._tracks[source].drop_first(n)
        self._count -= excess
