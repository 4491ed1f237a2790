"""Numbers that say whether a model plays music: losses against unigram baselines, and musical checks.

The musical checks follow the Multitrack Music Transformer paper (after MusPy): pitch-class entropy,
scale consistency and groove consistency, plus two that compare a continuation with its prompt: the
share of notes in the prompt's key and the overlap of their pitch-class histograms. All are pure
functions of note lists: `NoteEvent(onset in beats, pitch, drum)`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from conductor.train.augment import estimate_key

MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)


@dataclass(frozen=True, slots=True)
class NoteEvent:
    """A note as the metrics see it: onset in beats from the piece's start."""

    onset: float
    pitch: int
    duration: float = 0.25
    velocity: int = 80
    channel: int = 0

    @property
    def drum(self) -> bool:
        """True on the drum channel (0-based 9), whose pitches are not pitches."""
        return self.channel == 9


# ---------------------------------------------------------------- losses


def unigram_losses(
    train_rows: Iterable[np.ndarray],
    targets: np.ndarray,
    pad_id: int,
    vocab: int,
    select: np.ndarray | None = None,
) -> dict[str, float]:
    """Cross-entropy (nats) of ``targets`` (rows to predict) under unigram models fitted on ``train_rows``.

    "unigram": one token distribution; "unigram per position": one per position within an event row
    (the position fixes the parameter type, so this baseline is the stronger one). Add-one smoothing.
    ``select`` (same shape as ``targets``) limits the average to some tokens, e.g. the pitches.
    """
    width = targets.shape[1]
    counts = np.ones((width, vocab))
    for rows in train_rows:
        for col in range(width):
            counts[col] += np.bincount(rows[:, col].astype(np.int64), minlength=vocab)[:vocab]
    counts[:, pad_id] = 0
    flat = counts.sum(axis=0)
    mask = (targets != pad_id) if select is None else (select & (targets != pad_id))
    cols = np.broadcast_to(np.arange(width), targets.shape)[mask]
    toks = targets[mask].astype(np.int64)
    per_pos = counts / counts.sum(axis=1, keepdims=True)
    return {
        "unigram": float(-np.log(flat[toks] / flat.sum()).mean()),
        "unigram per position": float(-np.log(per_pos[cols, toks]).mean()),
    }


# ---------------------------------------------------------------- musical checks


def pitch_classes(notes: Sequence[NoteEvent]) -> np.ndarray:
    """Pitch classes of the pitched (non-drum) notes."""
    return np.array([n.pitch % 12 for n in notes if not n.drum], dtype=np.int64)


def pc_histogram(notes: Sequence[NoteEvent]) -> np.ndarray:
    """Normalised pitch-class histogram (zeros when there are no notes)."""
    hist = np.bincount(pitch_classes(notes), minlength=12).astype(float)
    total = hist.sum()
    return hist / total if total else hist


def pc_entropy(notes: Sequence[NoteEvent]) -> float:
    """Shannon entropy of the pitch-class histogram, in bits (0..log2(12) ≈ 3.585)."""
    p = pc_histogram(notes)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def scale_consistency(notes: Sequence[NoteEvent]) -> float:
    """Largest share of notes inside any one of the 24 major / natural-minor scales."""
    pcs = pitch_classes(notes)
    if not len(pcs):
        return math.nan
    best = 0.0
    for tonic in range(12):
        for scale in (MAJOR_SCALE, MINOR_SCALE):
            members = {(tonic + d) % 12 for d in scale}
            best = max(best, float(np.isin(pcs, list(members)).mean()))
    return best


def key_scale(notes: Sequence[NoteEvent]) -> frozenset[int]:
    """The seven pitch classes of the key estimated from ``notes`` (Krumhansl-Kessler profiles)."""
    tonic, mode = estimate_key(np.array([n.pitch for n in notes if not n.drum], dtype=np.int64))
    scale = MAJOR_SCALE if mode == "major" else MINOR_SCALE
    return frozenset((tonic + d) % 12 for d in scale)


def in_key_share(prompt: Sequence[NoteEvent], continuation: Sequence[NoteEvent]) -> float:
    """Share of the continuation's pitched notes in the key estimated from the prompt."""
    pcs = pitch_classes(continuation)
    if not len(pcs) or not len(pitch_classes(prompt)):
        return math.nan
    return float(np.isin(pcs, list(key_scale(prompt))).mean())


def pc_similarity(a: Sequence[NoteEvent], b: Sequence[NoteEvent]) -> float:
    """Overlap of two pitch-class histograms: 1 − ½·L1 (1 = same distribution, 0 = disjoint)."""
    ha, hb = pc_histogram(a), pc_histogram(b)
    if not ha.sum() or not hb.sum():
        return math.nan
    return float(1 - 0.5 * np.abs(ha - hb).sum())


def groove_consistency(notes: Sequence[NoteEvent], beats_per_bar: int = 4, per_beat: int = 4) -> float:
    """1 − mean Hamming distance between consecutive bars' onset grids (MusPy's groove consistency)."""
    if not notes:
        return math.nan
    width = beats_per_bar * per_beat
    slots = np.array([round(n.onset * per_beat) for n in notes], dtype=np.int64)
    slots -= slots.min() - slots.min() % width
    bars = np.zeros((int(slots.max()) // width + 1, width), dtype=bool)
    bars[slots // width, slots % width] = True
    if len(bars) < 2:
        return math.nan
    return float(1 - (bars[1:] != bars[:-1]).mean())


def notes_per_beat(notes: Sequence[NoteEvent]) -> float:
    """Density: notes per beat between the first and last onset (plus one beat)."""
    if not notes:
        return 0.0
    onsets = [n.onset for n in notes]
    return len(notes) / (max(onsets) - min(onsets) + 1.0)


def continuation_checks(prompt: Sequence[NoteEvent], continuation: Sequence[NoteEvent]) -> dict[str, float]:
    """Every musical check for one continuation of one prompt."""
    return {
        "in_key": in_key_share(prompt, continuation),
        "pc_similarity": pc_similarity(prompt, continuation),
        "pc_entropy": pc_entropy(continuation) if len(pitch_classes(continuation)) else math.nan,
        "scale_consistency": scale_consistency(continuation),
        "groove_consistency": groove_consistency(continuation),
        "notes_per_beat": notes_per_beat(continuation),
    }


def mean_checks(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    """Mean of each check over pieces, ignoring NaN (a piece where the check is undefined)."""
    keys = rows[0].keys() if rows else ()
    out = {}
    for k in keys:
        vals = [r[k] for r in rows if not math.isnan(r[k])]
        out[k] = float(np.mean(vals)) if vals else math.nan
    return out
