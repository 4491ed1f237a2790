"""Contiguous batching (the performer's TransformerXL example), blocks and the split by piece."""

from __future__ import annotations

import itertools

import numpy as np

from conductor.train.batching import block_count, contiguous_order, cut_blocks, split_by_piece


def test_contiguous_order_matches_the_seeds_notes_example() -> None:
    # files: 6, 3.1, 2.1, 2.2, 4, 2.3, 3.2, 2.4 blocks, then three 1-block extras and an empty one
    counts = [6, 3, 2, 2, 4, 2, 3, 2, 1, 1, 1, 0]
    batches = contiguous_order(counts, 4)
    assert batches == [
        [(0, 0), (1, 0), (2, 0), (3, 0)],
        [(0, 1), (1, 1), (2, 1), (3, 1)],
        [(0, 2), (1, 2), (4, 0), (5, 0)],
        [(0, 3), (6, 0), (4, 1), (5, 1)],
        [(0, 4), (6, 1), (4, 2), (7, 0)],
        [(0, 5), (6, 2), (4, 3), (7, 1)],
    ]


def test_each_lane_continues_its_piece_in_order() -> None:
    counts = [5, 1, 2, 3, 2, 4, 1, 1, 3]
    batches = contiguous_order(counts, 3)
    for lane in range(3):
        seq = [b[lane] for b in batches]
        for (p0, b0), (p1, b1) in itertools.pairwise(seq):
            assert (p1 == p0 and b1 == b0 + 1) or (p1 != p0 and b1 == 0 and b0 == counts[p0] - 1)


def test_too_few_pieces_give_no_batch() -> None:
    assert contiguous_order([3, 2], 4) == []
    assert contiguous_order([], 2) == []


def test_blocks_overlap_by_one_row_and_pad_the_end() -> None:
    rows = np.arange(7 * 2, dtype=np.int16).reshape(7, 2) + 1  # 7 rows → 6 targets
    assert block_count(7, 4) == 2
    assert block_count(1, 4) == 0
    blocks = cut_blocks(rows, 4, pad_id=0)
    assert blocks.shape == (2, 5, 2)
    assert blocks[0].tolist() == rows[0:5].tolist()
    assert blocks[1].tolist() == [*rows[4:7].tolist(), [0, 0], [0, 0]]


def test_split_by_piece_is_stable_and_disjoint() -> None:
    names = [f"p{i}" for i in range(40)]
    train, val = split_by_piece(names, 0.1, seed=3)
    assert len(val) == 4 and len(train) == 36
    assert not set(train) & set(val)
    assert split_by_piece(names, 0.1, seed=3) == (train, val)
