"""Batches that keep each piece's blocks contiguous and in order, and a validation split by piece.

A piece of n rows is cut into blocks of ``block`` predictions: block k holds rows
``[k*block, k*block + block + 1)`` (one row of overlap, so every next-row target is predicted exactly
once), padded with PAD rows at the end. Batches are filled lane by lane (after the performer's
TransformerXL notes): lane i of batch k+1 holds the block that follows lane i's block in batch k; a lane
whose piece is used up takes the next piece not yet started; the epoch ends at the first batch that
cannot be filled, so every batch is full.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from conductor.train.augment import Augment, TokenLayout, choose_shift, transpose
from conductor.train.data import Corpus

BlockIndex = tuple[int, int]  # (piece, block within the piece)


def block_count(rows: int, block: int) -> int:
    """How many blocks a piece of ``rows`` rows gives (0 for fewer than two rows)."""
    return max(0, -(-(rows - 1) // block))


def cut_blocks(rows: np.ndarray, block: int, pad_id: int) -> np.ndarray:
    """(blocks, block + 1, width) array of a piece's overlapping blocks, padded with ``pad_id``."""
    count = block_count(len(rows), block)
    out = np.full((count, block + 1, rows.shape[1]), pad_id, dtype=rows.dtype)
    for k in range(count):
        part = rows[k * block : k * block + block + 1]
        out[k, : len(part)] = part
    return out


def contiguous_order(counts: Sequence[int], batch_size: int) -> list[list[BlockIndex]]:
    """Batches of (piece, block) indices: each lane walks one piece's blocks in order.

    Pieces with no blocks are never used. Stops at the first batch a lane cannot fill.
    """
    used = [0] * len(counts)
    lanes: list[int] = []
    next_new = 0
    batches: list[list[BlockIndex]] = []
    while True:
        batch: list[BlockIndex] = []
        for lane in range(batch_size):
            if lane == len(lanes) or used[lanes[lane]] == counts[lanes[lane]]:
                while next_new < len(counts) and counts[next_new] == 0:
                    next_new += 1
                if next_new == len(counts):
                    return batches
                if lane == len(lanes):
                    lanes.append(next_new)
                else:
                    lanes[lane] = next_new
                next_new += 1
            piece = lanes[lane]
            batch.append((piece, used[piece]))
            used[piece] += 1
        batches.append(batch)


def split_by_piece(names: Sequence[str], fraction: float, seed: int = 0) -> tuple[list[int], list[int]]:
    """(train, validation) piece indices: a stable hash of each name decides, at least one each."""
    scores = [_unit_hash(f"{seed}:{n}") for n in names]
    order = sorted(range(len(names)), key=lambda i: scores[i])
    n_val = min(max(1, round(fraction * len(names))), max(0, len(names) - 1)) if fraction > 0 else 0
    val = sorted(order[:n_val])
    return sorted(order[n_val:]), val


def _unit_hash(text: str) -> float:
    return int(hashlib.sha1(text.encode()).hexdigest()[:12], 16) / 16**12


@dataclass(frozen=True)
class Epoch:
    """One epoch's data: the pieces' blocks (after this epoch's transposition) and the batch order."""

    blocks: list[np.ndarray]  # per lane-piece: (blocks, block + 1, width)
    order: list[list[BlockIndex]]

    def __len__(self) -> int:
        return len(self.order)

    def batch(self, index: int) -> np.ndarray:
        """(batch, block + 1, width) int64 array of batch ``index``."""
        return np.stack([self.blocks[p][b] for p, b in self.order[index]]).astype(np.int64)


def make_epoch(
    corpus: Corpus,
    pieces: Sequence[int],
    layout: TokenLayout,
    *,
    epoch: int,
    seed: int,
    batch_size: int,
    block: int,
    augment: Augment,
) -> Epoch:
    """Shuffle the pieces (seeded by seed and epoch), transpose each, cut blocks, order the batches."""
    rng = np.random.default_rng([seed, epoch])
    shuffled = [pieces[i] for i in rng.permutation(len(pieces))]
    blocks = []
    for p in shuffled:
        rows = corpus.piece(p)
        shifted = transpose(rows, layout, choose_shift(rows, layout, augment, rng))
        blocks.append(cut_blocks(shifted, block, layout.pad_id))
    order = contiguous_order([len(b) for b in blocks], batch_size)
    return Epoch(blocks, order)


def eval_batches(
    corpus: Corpus, pieces: Sequence[int], layout: TokenLayout, block: int, batch_size: int, augment: Augment
) -> list[np.ndarray]:
    """Every block of the given pieces (common key if training used it, else as written), batched."""
    rng = np.random.default_rng(0)
    mode = Augment.COMMON if augment is Augment.COMMON else Augment.NONE
    blocks = [
        cut_blocks(
            transpose(corpus.piece(p), layout, choose_shift(corpus.piece(p), layout, mode, rng)),
            block,
            layout.pad_id,
        )
        for p in pieces
    ]
    flat = [b for piece in blocks for b in piece]
    return [np.stack(flat[i : i + batch_size]).astype(np.int64) for i in range(0, len(flat), batch_size)]
