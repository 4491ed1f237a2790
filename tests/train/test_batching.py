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


def _eager_epoch(corpus, pieces, layout, time_layout, seed, epoch, batch_size, block, pack):  # type: ignore[no-untyped-def]
    """The epoch as it was built before it was cut on demand: every block of every piece at once."""
    from conductor.train.augment import Augment, choose_shift, transpose
    from conductor.train.batching import packed
    from conductor.train.tempo import vary_tempo

    rng = np.random.default_rng([seed, epoch])
    varied = []
    for p in [pieces[i] for i in rng.permutation(len(pieces))]:
        rows = corpus.piece(p)
        rows = transpose(rows, layout, choose_shift(rows, layout, Augment.ALL, rng))
        varied.append(vary_tempo(rows, time_layout, rng) if time_layout else rows)
    groups = packed(varied, block + 1) if pack else varied
    blocks = [cut_blocks(rows, block, layout.pad_id) for rows in groups]
    order = contiguous_order([len(b) for b in blocks], batch_size)
    return [np.stack([blocks[p][b] for p, b in batch]).astype(np.int64) for batch in order]


def test_epoch_cut_on_demand_from_shards_equals_cutting_everything(midi_folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from conductor.backends.skytnt.tokenizer import get_tokenizer
    from conductor.train.augment import Augment, TokenLayout
    from conductor.train.batching import make_epoch
    from conductor.train.data import load_corpus
    from conductor.train.tempo import TimeLayout

    corpus = load_corpus(str(midi_folder), "v2o", tmp_path / "cache")  # memory-mapped shards
    tok = get_tokenizer("v2o")
    layout, time_layout = TokenLayout.from_tokenizer(tok), TimeLayout.from_tokenizer(tok)
    pieces = list(range(len(corpus)))
    for block, pack, tempo in ((16, False, None), (256, True, time_layout)):
        lazy = make_epoch(
            corpus, pieces, layout, epoch=2, seed=7, batch_size=2, block=block, augment=Augment.ALL,
            tempo=tempo, pack=pack,
        )  # fmt: skip
        eager = _eager_epoch(corpus, pieces, layout, tempo, 7, 2, 2, block, pack)
        assert len(lazy) == len(eager) > 0
        small = replace(lazy, cache_size=1, _rows={})  # recomputes groups it has let go: same rows
        for i in range(len(eager)):
            assert np.array_equal(lazy.batch(i), eager[i]) and np.array_equal(small.batch(i), eager[i])
        assert len(lazy._rows) <= 4  # only the groups the lanes are playing (2 x batch size at most)
    assert any(len(g) > 1 for g in lazy.groups)  # the packed case did pack
