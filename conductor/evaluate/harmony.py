"""The local harmony of each bar, read from the human's notes, and the AI's share of chord tones.

Each bar's chord is `conductor.core.harmony`'s estimate from the human's notes sounding in it (the
same estimator comping follows live). A bar in which the human sounds nothing keeps the chord of the
bar before (no chord before the first).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from conductor.core.events import Note
from conductor.core.harmony import ROOTS, TEMPLATES, Chord, bar_weights, best_chord
from conductor.evaluate.metrics import Ratio

__all__ = ["ROOTS", "TEMPLATES", "Chord", "bar_chords", "bar_weights", "best_chord", "chord_tones"]


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
