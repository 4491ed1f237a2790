"""Transposition of token rows: exact pitches, drums untouched, key signatures moved, range limits."""

from __future__ import annotations

import numpy as np

from conductor.backends.skytnt.tokenizer import get_tokenizer
from conductor.train.augment import (
    Augment,
    TokenLayout,
    allowed_shifts,
    choose_shift,
    common_key_shift,
    estimate_key,
    shifted_sf,
    transpose,
)
from tests.train.conftest import make_score


def _notes(tok, rows: np.ndarray) -> list[tuple[int, int]]:
    """(channel, pitch) of every note in the detokenised score."""
    score = tok.detokenize(rows.tolist())
    return sorted((e[3], e[4]) for track in score[1:] for e in track if e[0] == "note")


def test_transpose_moves_every_pitched_note_and_leaves_drums() -> None:
    tok = get_tokenizer("v2o")
    layout = TokenLayout.from_tokenizer(tok)
    rows = np.asarray(tok.tokenize(make_score(1)), dtype=np.int16)
    before = _notes(tok, rows)
    after = _notes(tok, transpose(rows, layout, 3))
    expected = sorted((c, p if c == 9 else p + 3) for c, p in before)
    assert after == expected
    assert any(c == 9 for c, _ in before)
    assert transpose(rows, layout, 0).tolist() == rows.tolist()


def test_pitches_lists_only_non_drum_notes() -> None:
    tok = get_tokenizer("v2o")
    layout = TokenLayout.from_tokenizer(tok)
    rows = np.asarray(tok.tokenize(make_score(1)), dtype=np.int16)
    assert sorted(layout.pitches(rows).tolist()) == sorted(p for c, p in _notes(tok, rows) if c != 9)


def test_key_signature_moves_with_the_notes() -> None:
    tok = get_tokenizer("v2o")
    layout = TokenLayout.from_tokenizer(tok)
    assert layout.key_sig is not None
    ks = layout.key_sig
    score = make_score(2)
    score[2].insert(0, ["key_signature", 0, 2, 0])  # melody track: D major
    score[4].insert(0, ["key_signature", 0, 2, 0])  # drum track: the tokenizer stores sf 0
    rows = np.asarray(tok.tokenize(score), dtype=np.int16)

    def sfs(r: np.ndarray) -> list[int]:
        return (r[r[:, 0] == ks.event_id][:, ks.sf_col] - ks.sf_base - 7).tolist()

    assert sfs(rows) == [2, 0]
    assert sfs(transpose(rows, layout, 1)) == [-3, 0]  # D → Eb; drums keep 0
    assert sfs(transpose(rows, layout, -2)) == [0, 0]  # D → C


def test_shifted_sf_follows_the_circle_of_fifths() -> None:
    assert shifted_sf(0, 0, 7) == 1  # C → G
    assert shifted_sf(0, 0, 5) == -1  # C → F
    assert shifted_sf(-3, 0, 1) == 4  # Eb → E
    assert shifted_sf(2, 0, -2) == 0  # D → C


def test_range_limits_exclude_shifts_that_leave_the_range() -> None:
    tok = get_tokenizer("v2o")
    layout = TokenLayout.from_tokenizer(tok)
    rows = np.asarray(tok.tokenize(make_score(0)), dtype=np.int16)
    pitches = layout.pitches(rows)
    lo, hi = int(pitches.min()), int(pitches.max())
    shifts = allowed_shifts(rows, layout, range(-6, 6), low=lo - 2, high=hi + 3)
    assert shifts == [-2, -1, 0, 1, 2, 3]
    rng = np.random.default_rng(0)
    for _ in range(20):
        assert choose_shift(rows, layout, Augment.ALL, rng, low=lo - 2, high=hi + 3) in shifts


def test_common_key_takes_pieces_to_c_major() -> None:
    tok = get_tokenizer("v2o")
    layout = TokenLayout.from_tokenizer(tok)
    rows = np.asarray(tok.tokenize(make_score(3, drums=False)), dtype=np.int16)
    assert estimate_key(layout.pitches(rows)) == (0, "major")
    up = transpose(rows, layout, 5)  # F major
    assert common_key_shift(up, layout) == -5
    assert estimate_key(layout.pitches(transpose(up, layout, -5))) == (0, "major")
