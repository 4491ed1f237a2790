"""Filters that look at onset clusters: chords only, melody only.

A cluster starts at a note's onset and takes every following note that starts within `window`
seconds of that first onset (anchored, so clusters never chain on forever). A stage holds the
notes of the current cluster only until a note starting beyond the window arrives, then decides
and releases; `flush` decides the last cluster. Realtime-safe: O(cluster size) per decision.
"""

from __future__ import annotations

from conductor.backends.shaping import spread
from conductor.core.events import Note
from conductor.engine.filters.base import EPS, order
from conductor.piece.compiled import ChordsFilter, MelodyFilter
from conductor.piece.names import MelodyLine

MELODY_WINDOW_S = 0.05  # notes starting this close together are one moment for the melody filter


class _ClusterStage:
    """Collects clusters; subclasses decide what each finished cluster releases."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._cluster: list[Note] = []

    def push(self, note: Note) -> list[Note]:
        if self._cluster and note.onset > self._cluster[0].onset + self.window + EPS:
            done, self._cluster = self._cluster, [note]
            return self.decide(done, next_onset=note.onset)
        self._cluster.append(note)
        return []

    def flush(self) -> list[Note]:
        done, self._cluster = self._cluster, []
        return self.decide(done, next_onset=None) if done else []

    def decide(self, cluster: list[Note], next_onset: float | None) -> list[Note]:
        """What a finished cluster releases; `next_onset` starts the next cluster (None: the end)."""
        raise NotImplementedError


class ChordsStage(_ClusterStage):
    """Release only clusters of at least `min_notes` distinct pitches; drop everything else.

    A pitch repeated within a cluster (same channel) is kept once, the first time. A cluster of more
    than `max_notes` is thinned to `max_notes` spread evenly over it from the lowest to the highest.
    """

    def __init__(self, spec: ChordsFilter, seconds: float) -> None:
        super().__init__(seconds)
        self.min_notes = spec.min_notes
        self.max_notes = max(spec.max_notes, spec.min_notes)

    def decide(self, cluster: list[Note], next_onset: float | None) -> list[Note]:
        seen: set[tuple[int, int]] = set()
        unique: list[Note] = []
        for note in cluster:
            if (note.channel, note.pitch) not in seen:
                seen.add((note.channel, note.pitch))
                unique.append(note)
        if len(unique) < self.min_notes:
            return []
        if len(unique) > self.max_notes:
            keep = set(spread([n.pitch for n in unique], self.max_notes))
            unique = [n for n in unique if n.pitch in keep]
        return sorted(unique, key=order)


def _highest(note: Note) -> tuple[float, ...]:
    return (note.pitch,)


def _lowest(note: Note) -> tuple[float, ...]:
    return (-note.pitch,)


def _salient(note: Note) -> tuple[float, ...]:
    return (note.velocity * note.duration, note.pitch)


_RANK = {MelodyLine.HIGHEST: _highest, MelodyLine.LOWEST: _lowest, MelodyLine.SALIENT: _salient}


class MelodyStage(_ClusterStage):
    """One strictly monophonic line: the best note of each cluster, cut off where the next begins.

    highest / lowest pitch, or salient = the largest velocity × duration (ties: the higher pitch);
    among equals the earliest note wins. The chosen note ends at the latest at the next cluster's
    first onset, so no two released notes ever overlap.
    """

    def __init__(self, spec: MelodyFilter, seconds: float = MELODY_WINDOW_S) -> None:
        super().__init__(seconds)
        self.rank = _RANK[spec.line]

    def decide(self, cluster: list[Note], next_onset: float | None) -> list[Note]:
        best = cluster[0]
        for note in cluster[1:]:
            if self.rank(note) > self.rank(best):
                best = note
        if next_onset is not None and best.end > next_onset:
            best = best.with_(duration=next_onset - best.onset)
        return [best]
