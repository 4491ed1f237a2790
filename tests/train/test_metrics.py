"""Musical checks and unigram baselines on hand-built inputs with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conductor.train.metrics import (
    NoteEvent,
    continuation_checks,
    groove_consistency,
    in_key_share,
    mean_checks,
    notes_per_beat,
    pc_entropy,
    pc_similarity,
    scale_consistency,
    unigram_losses,
)

C_MAJOR = [60, 62, 64, 65, 67, 69, 71]


def notes(pitches: list[int], step: float = 1.0, channel: int = 0) -> list[NoteEvent]:
    return [NoteEvent(i * step, p, channel=channel) for i, p in enumerate(pitches)]


def test_pitch_class_entropy() -> None:
    assert pc_entropy(notes(C_MAJOR)) == pytest.approx(math.log2(7))
    assert pc_entropy(notes([60, 72, 48])) == 0.0
    assert pc_entropy(notes(list(range(60, 72)))) == pytest.approx(math.log2(12))


def test_scale_consistency() -> None:
    assert scale_consistency(notes(C_MAJOR)) == 1.0
    assert scale_consistency(notes(list(range(60, 72)))) == pytest.approx(7 / 12)
    assert math.isnan(scale_consistency([]))


def test_in_key_share_uses_the_prompts_key() -> None:
    prompt = notes(C_MAJOR * 3)
    assert in_key_share(prompt, notes([60, 61, 62, 64])) == 0.75
    assert in_key_share(prompt, notes([60, 61, 62, 64, 42])) == 0.6


def test_drums_are_left_out_of_pitch_checks() -> None:
    prompt = notes(C_MAJOR * 3)
    cont = notes([60, 62]) + notes([61, 63, 66], channel=9)
    assert in_key_share(prompt, cont) == 1.0
    assert pc_entropy(cont) == 1.0


def test_pitch_class_similarity() -> None:
    assert pc_similarity(notes([60, 62]), notes([72, 74])) == 1.0
    assert pc_similarity(notes([60]), notes([61])) == 0.0
    assert pc_similarity(notes([60, 62]), notes([60, 61])) == 0.5


def test_groove_consistency() -> None:
    same = notes([60] * 16, step=0.5)  # eighths: two identical 4/4 bars
    assert groove_consistency(same) == 1.0
    bar1 = [NoteEvent(0.0, 60)]
    bar2 = [NoteEvent(4.0, 60), NoteEvent(6.0, 60)]  # one extra onset of 16 slots
    assert groove_consistency(bar1 + bar2) == 1 - 1 / 16
    assert math.isnan(groove_consistency(bar1))


def test_density_and_means() -> None:
    assert notes_per_beat(notes([60] * 4, step=0.5)) == 4 / 2.5
    rows = [continuation_checks(notes(C_MAJOR), notes(C_MAJOR)), {k: math.nan for k in ("in_key",)}]
    assert continuation_checks(notes(C_MAJOR), notes(C_MAJOR))["pc_similarity"] == 1.0
    assert mean_checks(rows[:1])["in_key"] == 1.0


def test_unigram_losses() -> None:
    pad = 0
    train = [np.array([[1, 3], [2, 3]]), np.array([[1, 4]])]
    targets = np.array([[1, 3], [2, pad]])
    out = unigram_losses(train, targets, pad, vocab=5)
    # add-one counts, pad excluded: column 0 → {1: 3, 2: 2, 3: 1, 4: 1}; column 1 → {1: 1, 2: 1, 3: 3, 4: 2}
    per_pos = -(math.log(3 / 7) + math.log(3 / 7) + math.log(2 / 7)) / 3
    flat = -(math.log(4 / 14) + math.log(4 / 14) + math.log(3 / 14)) / 3
    assert out["unigram per position"] == pytest.approx(per_pos)
    assert out["unigram"] == pytest.approx(flat)
