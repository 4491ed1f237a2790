"""Note events for the Markov model: chords-or-notes with quantised rhythm, pitch relative to the last.

An *event* is everything that starts together: notes whose onsets lie within `CHORD_WINDOW_S` of the
first one form one event. Its *anchor* is the highest pitch (the line a listener follows); the other
pitches are kept as a *shape*, offsets below the anchor. Pitch is learnt as the *step* (semitones)
from the previous event's anchor, so whatever is learnt in one key is played back in any key.
Rhythm is learnt in beats: the inter-onset interval (IOI) before the event and its duration are
snapped to the nearest of a few musical values, velocity to one of eight classes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from conductor.core.events import Note
from conductor.core.timebase import Timebase

CHORD_WINDOW_S = 0.03  # onsets this close (seconds) are one chord
MAX_STEP = 24  # steps beyond two octaves are folded back by octaves
MAX_SHAPE = 5  # chord tones below the anchor that are kept
IOI_BEATS = (0.125, 0.25, 1 / 3, 0.5, 2 / 3, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
DUR_BEATS = (0.125, 0.25, 1 / 3, 0.5, 2 / 3, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
VEL_CLASSES = 8  # velocity classes of width 16: class c plays velocity 16c + 8

Shape = tuple[int, ...]
# (step, shape, ioi class, duration class, velocity class): what the model counts and samples
EventKey = tuple[int, Shape, int, int, int]
# (step, shape): the pitch content of an event, what contexts are matched on
PitchKey = tuple[int, Shape]


@dataclass(frozen=True, slots=True)
class Cluster:
    """Notes that start together, with absolute times: the raw form of an event."""

    onset: float  # seconds
    pitches: tuple[int, ...]  # descending: pitches[0] is the anchor
    duration: float  # seconds (the longest note)
    velocity: int  # the loudest note

    @property
    def anchor(self) -> int:
        """The highest pitch: the line a listener follows."""
        return self.pitches[0]


def nearest_class(value: float, grid: Sequence[float]) -> int:
    """Index of the grid value nearest to `value` on a log scale (values <= 0 map to class 0)."""
    if value <= 0:
        return 0
    logv = math.log(value)
    return min(range(len(grid)), key=lambda i: abs(math.log(grid[i]) - logv))


def velocity_class(velocity: int) -> int:
    """Velocity 1..127 → class 0..7."""
    return min(VEL_CLASSES - 1, max(0, (velocity - 1) // 16))


def class_velocity(cls: int) -> int:
    """The velocity a class plays at (its centre)."""
    return min(127, cls * 16 + 8)


def fold_step(step: int) -> int:
    """A step folded by octaves into [-MAX_STEP, MAX_STEP]."""
    while step > MAX_STEP:
        step -= 12
    while step < -MAX_STEP:
        step += 12
    return step


def cluster(notes: Iterable[Note], window: float = CHORD_WINDOW_S) -> list[Cluster]:
    """Group notes (any order) into clusters of onsets within `window` of each cluster's first."""
    ordered = sorted(notes, key=lambda n: (n.onset, -n.pitch))
    out: list[Cluster] = []
    group: list[Note] = []
    for note in ordered:
        if group and note.onset - group[0].onset > window:
            out.append(_make_cluster(group))
            group = []
        group.append(note)
    if group:
        out.append(_make_cluster(group))
    return out


def _make_cluster(group: list[Note]) -> Cluster:
    pitches = tuple(sorted({n.pitch for n in group}, reverse=True))
    return Cluster(
        onset=group[0].onset,
        pitches=pitches,
        duration=max(n.duration for n in group),
        velocity=max(n.velocity for n in group),
    )


def shape_of(pitches: Sequence[int]) -> Shape:
    """Offsets of the chord tones below the anchor (negative, descending), at most MAX_SHAPE."""
    anchor = pitches[0]
    return tuple(p - anchor for p in pitches[1 : 1 + MAX_SHAPE])


def encode(current: Cluster, previous: Cluster, tb: Timebase) -> EventKey:
    """The event key of `current`, relative to the cluster before it."""
    ioi = tb.beats(current.onset - previous.onset)
    return (
        fold_step(current.anchor - previous.anchor),
        shape_of(current.pitches),
        nearest_class(ioi, IOI_BEATS),
        nearest_class(tb.beats(current.duration), DUR_BEATS),
        velocity_class(current.velocity),
    )


def encode_all(clusters: Sequence[Cluster], tb: Timebase) -> list[EventKey]:
    """Keys for clusters[1:], each relative to the one before (the first only sets the reference)."""
    return [encode(cur, prev, tb) for prev, cur in itertools.pairwise(clusters)]


def pitch_key(key: EventKey) -> PitchKey:
    """The part of an event that contexts are matched on."""
    return (key[0], key[1])
