"""Sampling one event from weighted candidates: temperature, top-k, top-p, a seeded numpy Generator."""

from __future__ import annotations

import numpy as np

from conductor.backends.markov.events import EventKey
from conductor.piece.compiled import SamplingSpec

MIN_TEMPERATURE = 1e-3


def probabilities(
    weights: dict[EventKey, float], sampling: SamplingSpec
) -> tuple[list[EventKey], np.ndarray]:
    """Candidates in a fixed (sorted) order and their probabilities after temperature, top-k and top-p.

    Temperature acts on counts: p ∝ count^(1/T), so T < 1 favours what was heard most, T > 1 flattens.
    """
    keys = sorted(k for k, w in weights.items() if w > 0)
    w = np.array([weights[k] for k in keys], dtype=np.float64)
    logits = np.log(w) / max(sampling.temperature, MIN_TEMPERATURE)
    p = np.exp(logits - logits.max())
    order = np.argsort(-p, kind="stable")
    keep = np.zeros(len(p), dtype=bool)
    top_k = sampling.top_k if 0 < sampling.top_k < len(p) else len(p)
    ranked = order[:top_k]
    cum = np.cumsum(p[ranked]) / p[ranked].sum()
    n_top_p = int(np.searchsorted(cum, min(max(sampling.top_p, 0.0), 1.0) - 1e-12)) + 1
    keep[ranked[: max(1, n_top_p)]] = True
    p = np.where(keep, p, 0.0)
    return keys, p / p.sum()


def sample(weights: dict[EventKey, float], sampling: SamplingSpec, rng: np.random.Generator) -> EventKey:
    """One candidate drawn from `weights` (which must hold at least one positive weight)."""
    keys, p = probabilities(weights, sampling)
    return keys[int(rng.choice(len(keys), p=p))]
