"""Sampling: temperature on counts, top-k, top-p, seeded determinism."""

from __future__ import annotations

import numpy as np
import pytest

from conductor.backends.markov.events import EventKey
from conductor.backends.markov.sampling import probabilities, sample
from conductor.piece.compiled import SamplingSpec

A: EventKey = (0, (), 6, 6, 4)
B: EventKey = (2, (), 6, 6, 4)
C: EventKey = (4, (), 6, 6, 4)


def test_temperature_one_keeps_count_proportions() -> None:
    keys, p = probabilities({B: 1.0, A: 3.0}, SamplingSpec(temperature=1.0, top_p=1.0, top_k=0))
    assert keys == [A, B]
    assert p.tolist() == pytest.approx([0.75, 0.25])


def test_temperature_half_squares_the_counts() -> None:
    _, p = probabilities({A: 3.0, B: 1.0}, SamplingSpec(temperature=0.5, top_p=1.0, top_k=0))
    assert p.tolist() == pytest.approx([0.9, 0.1])


def test_top_k_keeps_the_k_most_likely() -> None:
    _, p = probabilities({A: 1.0, B: 2.0, C: 3.0}, SamplingSpec(top_k=2, top_p=1.0))
    assert p.tolist() == pytest.approx([0.0, 0.4, 0.6])


def test_top_p_keeps_the_smallest_set_reaching_p() -> None:
    _, p = probabilities({A: 1.0, B: 2.0, C: 7.0}, SamplingSpec(top_k=0, top_p=0.7))
    assert p.tolist() == pytest.approx([0.0, 0.0, 1.0])


def test_same_seed_same_draws() -> None:
    spec = SamplingSpec(top_p=1.0)
    weights = {A: 1.0, B: 1.0, C: 1.0}
    draws = [[sample(weights, spec, rng) for _ in range(20)] for rng in (np.random.default_rng(5),) * 1]
    again = [[sample(weights, spec, rng) for _ in range(20)] for rng in (np.random.default_rng(5),) * 1]
    assert draws == again
    assert len(set(draws[0])) == 3
