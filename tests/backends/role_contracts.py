"""The decode-time role contracts, restated on finished notes (seconds) for both backends' tests.

Each check returns the notes that break it (empty: the contract holds), so a failure shows them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from conductor.core.events import Note

EPS = 1e-6


def groups(notes: Sequence[Note]) -> list[list[Note]]:
    """Notes struck at the same instant, in the order they came."""
    out: list[list[Note]] = []
    for note in notes:
        if out and abs(note.onset - out[-1][0].onset) < EPS:
            out[-1].append(note)
        else:
            out.append([note])
    return out


def oversized(notes: Sequence[Note], most: int) -> list[list[Note]]:
    """Groups of more than `most` notes."""
    return [g for g in groups(notes) if len(g) > most]


def restruck(notes: Sequence[Note]) -> list[tuple[Note, Note]]:
    """Pairs (a, b): b strikes a's pitch while a still sounds (b after a, or with it)."""
    return [
        (a, b)
        for a, b in itertools.combinations(sorted(notes, key=lambda n: n.onset), 2)
        if a.pitch == b.pitch and a.onset - EPS <= b.onset < a.end - EPS
    ]


def overlapping(notes: Sequence[Note]) -> list[tuple[Note, Note]]:
    """Consecutive notes of a line where the second starts before the first has ended."""
    ordered = sorted(notes, key=lambda n: n.onset)
    return [(a, b) for a, b in itertools.pairwise(ordered) if b.onset < a.end - EPS]


def zero_length(notes: Sequence[Note]) -> list[Note]:
    """Notes without duration."""
    return [n for n in notes if n.duration <= 0]


def badly_voiced(notes: Sequence[Note], spacing: int) -> list[list[Note]]:
    """Groups not struck lowest first, each at least `spacing` semitones above the one before."""
    return [g for g in groups(notes) if any(b.pitch - a.pitch < spacing for a, b in itertools.pairwise(g))]


def over_budget(notes: Sequence[Note], most: int, span: float) -> list[Note]:
    """Notes that start while `most` notes already started in the `span` seconds up to them."""
    onsets = sorted(n.onset for n in notes)
    return [n for i, n in enumerate(sorted(notes, key=lambda n: n.onset))
            if sum(1 for t in onsets[:i] if t > n.onset - span + EPS) >= most]  # fmt: skip


def ahead_of_pace(notes: Sequence[Note], events: int, start: float, span: float, burst: int) -> list[Note]:
    """Notes that start when more than events × (elapsed / span) + `burst` notes have started."""
    ordered = sorted(notes, key=lambda n: n.onset)
    return [n for i, n in enumerate(ordered) if i + 1 > events * (n.onset - start) / span + burst + EPS]
