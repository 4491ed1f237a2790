"""The local harmony of each bar, read from the human's notes, and the AI's share of chord tones.

A bar's pitch classes are weighted by how long each human note sounds inside the bar (a chord held
over the bar line counts in both bars). Its chord is the template — a major, minor or diminished
triad, or a dominant, major, minor or half-diminished seventh, on any of the 12 roots — whose set of
pitch classes has the largest cosine with those weights (a 0/1 vector against the weights); ties go
to the first in that order, lower roots first, so a bare triad beats the seventh that contains it. A
bar in which the human sounds nothing keeps the chord of the bar before (no chord before the first).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

from conductor.core.events import Note
from conductor.evaluate.metrics import Ratio

TEMPLATES: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("", (0, 4, 7)),
    ("m", (0, 3, 7)),
    ("dim", (0, 3, 6)),
    ("7", (0, 4, 7, 10)),
    ("maj7", (0, 4, 7, 11)),
    ("m7", (0, 3, 7, 10)),
    ("m7b5", (0, 3, 6, 10)),
)
ROOTS = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


@dataclass(frozen=True, slots=True)
class Chord:
    """A chord: its name ("Bb7") and pitch classes."""

    name: str
    pitch_classes: frozenset[int]


def bar_weights(human: Sequence[Note], lo: float, hi: float) -> list[float]:
    """Seconds each pitch class sounds within [lo, hi)."""
    weights = [0.0] * 12
    for note in human:
        weights[note.pitch % 12] += max(0.0, min(note.end, hi) - max(note.onset, lo))
    return weights


def best_chord(weights: Sequence[float]) -> Chord | None:
    """The template chord closest (cosine) to pitch-class `weights`; None when they are all zero."""
    norm = math.sqrt(sum(w * w for w in weights))
    if norm == 0:
        return None
    best: tuple[float, Chord | None] = (-1.0, None)
    for suffix, steps in TEMPLATES:
        for root in range(12):
            pcs = frozenset((root + s) % 12 for s in steps)
            score = sum(weights[pc] for pc in pcs) / (norm * math.sqrt(len(pcs)))
            if score > best[0] + 1e-12:
                best = (score, Chord(ROOTS[root] + suffix, pcs))
    return best[1]


def bar_chords(human: Sequence[Note], bars: Sequence[tuple[float, float]]) -> list[Chord | None]:
    """The chord of each bar (`bars` in time order; the bar before's where the human sounds nothing)."""
    chords: list[Chord | None] = []
    ordered = sorted(human, key=lambda n: n.onset)
    sounding: list[Note] = []
    i = 0
    for lo, hi in bars:  # in time order: one sweep over the notes
        while i < len(ordered) and ordered[i].onset < hi:
            sounding.append(ordered[i])
            i += 1
        sounding = [n for n in sounding if n.end > lo]
        chord = best_chord(bar_weights(sounding, lo, hi))
        chords.append(chord if chord is not None else (chords[-1] if chords else None))
    return chords


def chord_tones(
    ai: Sequence[Note], chords: Sequence[Chord | None], bars: Sequence[tuple[float, float]]
) -> Ratio:
    """AI notes whose pitch class belongs to the chord of the bar they start in, of the AI notes
    starting in a bar that has a chord."""
    starts = [lo for lo, _ in bars]
    hits = total = 0
    for note in ai:
        i = bisect.bisect_right(starts, note.onset) - 1
        chord = chords[i] if i >= 0 and note.onset < bars[i][1] else None
        if chord is None:
            continue
        hits += note.pitch % 12 in chord.pitch_classes
        total += 1
    return Ratio(hits, total)
