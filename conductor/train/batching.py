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
from conductor.train.tempo import TimeLayout, vary_tempo

BlockIndex = tuple[int, int]  # (piece, block within the piece)
GROUP_SEPARATOR = " | "  # role-corpus names: "work | role | bars"


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
    """(train, validation) piece indices: a stable hash of each work decides, at least one each.

    A name ``work | role | bars`` (a role-corpus window) belongs to its work: every window of a work
    falls on the same side, so no held-out work is ever heard in training.
    """
    groups = sorted({piece_group(n) for n in names}, key=lambda g: _unit_hash(f"{seed}:{g}"))
    n_val = min(max(1, round(fraction * len(groups))), max(0, len(groups) - 1)) if fraction > 0 else 0
    held = set(groups[:n_val])
    val = [i for i, n in enumerate(names) if piece_group(n) in held]
    return [i for i, n in enumerate(names) if piece_group(n) not in held], val


def piece_group(name: str) -> str:
    """The work a piece name belongs to: the part before " | " (the whole name without one)."""
    return name.split(GROUP_SEPARATOR, 1)[0]


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
    tempo: TimeLayout | None = None,
    pack: bool = False,
) -> Epoch:
    """Shuffle the pieces (seeded by seed and epoch), transpose each (and vary its tempo when a
    `TimeLayout` is given), cut blocks, order the batches.

    With ``pack``, consecutive pieces shorter than a block share one (each starts with its own BOS
    row), so short role windows do not train on padding.
    """
    rng = np.random.default_rng([seed, epoch])
    shuffled = [pieces[i] for i in rng.permutation(len(pieces))]
    varied = []
    for p in shuffled:
        rows = corpus.piece(p)
        rows = transpose(rows, layout, choose_shift(rows, layout, augment, rng))
        varied.append(rows if tempo is None else vary_tempo(rows, tempo, rng))
    groups = packed(varied, block + 1) if pack else varied
    blocks = [cut_blocks(rows, block, layout.pad_id) for rows in groups]
    order = contiguous_order([len(b) for b in blocks], batch_size)
    return Epoch(blocks, order)


def packed(pieces: Sequence[np.ndarray], size: int) -> list[np.ndarray]:
    """Consecutive pieces joined while they fit in ``size`` rows (a longer piece stays alone)."""
    out: list[np.ndarray] = []
    group: list[np.ndarray] = []
    used = 0
    for rows in pieces:
        if group and used + len(rows) > size:
            out.append(np.concatenate(group))
            group, used = [], 0
        group.append(rows)
        used += len(rows)
    if group:
        out.append(np.concatenate(group))
    return out


def eval_batches(
    corpus: Corpus, pieces: Sequence[int], layout: TokenLayout, block: int, batch_size: int, augment: Augment
) -> list[np.ndarray]:
    """Every block of the given pieces (a common key if training used one, else as written), batched."""
    rng = np.random.default_rng(0)
    mode = augment if augment in (Augment.COMMON, Augment.HUMAN) else Augment.NONE
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
