"""Role-conditioned checks: does the AI's part fit the human's? Pure functions of `NoteEvent` lists.

- `in_key`: share of the AI's notes in the key estimated from the human's notes (Krumhansl-Kessler);
- `pc_cosine`: cosine between the pitch-class histograms of the AI's and the human's notes;
- `answer_overlap` (trading): share of the answer's interval 3-grams — three successive melodic
  intervals, in semitones, of its top line (the highest note at each onset) — that occur in the
  human phrase just before it; a motif reused in another key counts;
- `on_grid`: share of the AI's onsets on the human's beat grid, the coarsest of a beat, an eighth
  and a sixteenth that holds at least 90 % of the human's onsets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from conductor.train.metrics import NoteEvent, in_key_share, pc_histogram

NGRAM = 3
GRID_STEPS = (1.0, 0.5, 0.25)  # beats: a beat, an eighth, a sixteenth
GRID_SHARE = 0.9


def top_line(notes: Sequence[NoteEvent]) -> list[int]:
    """The highest pitch at each onset, in onset order (drums left out)."""
    tops: dict[float, int] = {}
    for n in notes:
        if not n.drum:
            key = round(n.onset, 4)
            tops[key] = max(tops.get(key, -1), n.pitch)
    return [tops[k] for k in sorted(tops)]


def interval_ngrams(notes: Sequence[NoteEvent], n: int = NGRAM) -> list[tuple[int, ...]]:
    """The n-grams of successive intervals of the top line."""
    line = top_line(notes)
    steps = [b - a for a, b in pairwise(line)]
    return [tuple(steps[i : i + n]) for i in range(len(steps) - n + 1)]


def answer_overlap(answer: Sequence[NoteEvent], phrase: Sequence[NoteEvent], n: int = NGRAM) -> float:
    """Share of the answer's interval n-grams found in the phrase (NaN when the answer has none)."""
    grams = interval_ngrams(answer, n)
    if not grams:
        return math.nan
    heard = set(interval_ngrams(phrase, n))
    return sum(g in heard for g in grams) / len(grams)


def pc_cosine(a: Sequence[NoteEvent], b: Sequence[NoteEvent]) -> float:
    """Cosine similarity of two pitch-class histograms (NaN when either has no notes)."""
    ha, hb = pc_histogram(a), pc_histogram(b)
    norm = float(np.linalg.norm(ha) * np.linalg.norm(hb))
    return float(ha @ hb) / norm if norm else math.nan


def grid_step(notes: Sequence[NoteEvent]) -> float:
    """The coarsest grid (beats) holding at least 90 % of the onsets (a sixteenth at the finest)."""
    onsets = np.array([n.onset for n in notes])
    for step in GRID_STEPS:
        if not len(onsets) or _on(onsets, step).mean() >= GRID_SHARE:
            return step
    return GRID_STEPS[-1]


def _on(onsets: np.ndarray, step: float) -> np.ndarray:
    phase = np.mod(onsets / step, 1.0)
    return (phase < 1e-3) | (phase > 1 - 1e-3)


def on_grid(ai: Sequence[NoteEvent], human: Sequence[NoteEvent]) -> float:
    """Share of the AI's onsets on the human's grid (NaN without AI notes)."""
    if not ai:
        return math.nan
    return float(_on(np.array([n.onset for n in ai]), grid_step(human)).mean())


def role_checks(
    human: Sequence[NoteEvent], ai: Sequence[NoteEvent], phrase: Sequence[NoteEvent] | None = None
) -> dict[str, float]:
    """Every role check for one AI part against the human's notes (``phrase``: trading only)."""
    return {
        "in_key": in_key_share(human, ai),
        "pc_cosine": pc_cosine(human, ai),
        "answer_overlap": answer_overlap(ai, phrase) if phrase is not None else math.nan,
        "on_grid": on_grid(ai, human),
        "notes": float(len(ai)),
    }
