"""Tempo augmentation on token rows, and packing short pieces into one block."""

from __future__ import annotations

import numpy as np

from conductor.backends.skytnt.tokenizer import get_tokenizer
from conductor.train.batching import cut_blocks, packed
from conductor.train.tempo import TimeLayout, scale_bpm, stretch, vary_tempo

TOK = get_tokenizer("v2o")
LAY = TimeLayout.from_tokenizer(TOK)
SCORE = [
    480,
    [["set_tempo", 0, 500_000]],
    [["note", 0, 480, 0, 60, 80], ["note", 240, 120, 0, 64, 80], ["note", 1800, 960, 0, 67, 80]],
]


def rows() -> np.ndarray:
    return np.asarray(TOK.tokenize(SCORE), dtype=np.int16)


def notes(score: list) -> list[list]:
    return sorted(e[1:] for track in score[1:] for e in track if e[0] == "note")


def test_stretch_doubles_onsets_and_durations() -> None:
    out = stretch(rows(), LAY)
    assert out is not None
    back = notes(TOK.detokenize(out.tolist()))
    assert back == [[0, 960, 0, 60, 80], [480, 240, 0, 64, 80], [3600, 1920, 0, 67, 80]]


def test_stretch_refuses_what_leaves_the_token_range() -> None:
    long = [480, [["note", 0, 480 * 100, 0, 60, 80], ["note", 480 * 70, 480, 0, 62, 80]]]
    assert stretch(np.asarray(TOK.tokenize(long), dtype=np.int16), LAY) is None


def test_scale_bpm_changes_only_the_tempo() -> None:
    before = rows()
    after = scale_bpm(before, LAY, 1.25)
    changed = np.nonzero((after != before).any(axis=1))[0]
    assert len(changed) == 1 and TOK.tokens2event(after[changed[0]].tolist()) == ["set_tempo", 0, 0, 0, 150]
    assert TOK.tokens2event(scale_bpm(before, LAY, 100.0)[changed[0]].tolist())[-1] == 383


def test_vary_tempo_is_seeded_and_keeps_the_notes() -> None:
    a = vary_tempo(rows(), LAY, np.random.default_rng(5))
    b = vary_tempo(rows(), LAY, np.random.default_rng(5))
    assert np.array_equal(a, b)
    pitches = [e[3] for e in notes(TOK.detokenize(a.tolist()))]
    assert pitches == [60, 64, 67]


def test_packed_pieces_share_blocks_and_keep_their_bos_rows() -> None:
    pieces = [np.full((n, 8), i + 1, dtype=np.int16) for i, n in enumerate((100, 120, 60, 300, 10))]
    groups = packed(pieces, 257)
    assert [len(g) for g in groups] == [220, 60, 300, 10]
    assert [g[0, 0] for g in groups] == [1, 3, 4, 5]
    assert cut_blocks(groups[0], 256, 0).shape == (1, 257, 8)
