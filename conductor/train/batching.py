"""Batches that keep each piece's blocks contiguous and in order, and a validation split by piece.

A piece of n rows is cut into blocks of ``block`` predictions: block k holds rows
``[k*block, k*block + block + 1)`` (one row of overlap, so every next-row target is predicted exactly
once), padded with PAD rows at the end. Batches are filled lane by lane (after the performer's
TransformerXL notes): lane i of batch k+1 holds the block that follows lane i's block in batch k; a lane
whose piece is used up takes the next piece not yet started; the epoch ends at the first batch that
cannot be filled, so every batch is full.

An `Epoch` decides everything up front (shuffle, each piece's transposition and tempo draw, packing,
the batch order) from one pass over the pieces' lengths and pitches, and cuts a batch's blocks only
when it is asked for, from the corpus (memory-mapped shards): it holds the rows of the pieces its
lanes are playing, never the whole corpus.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from conductor.train.augment import Augment, TokenLayout, choose_shift, transpose
from conductor.train.data import Corpus
from conductor.train.tempo import TempoDraw, TimeLayout, apply_tempo, draw_tempo

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
class Recipe:
    """How one piece sounds this epoch: its transposition and tempo draw."""

    piece: int
    shift: int
    tempo: TempoDraw | None


@dataclass
class Epoch:
    """One epoch's batches: groups of pieces (one piece, or several packed), cut into blocks on demand.

    Not thread-safe (a small cache of the groups the lanes are playing); the training loop's own.
    """

    corpus: Corpus
    layout: TokenLayout
    time_layout: TimeLayout | None
    block: int
    groups: list[list[Recipe]]
    order: list[list[BlockIndex]]  # (group, block within the group)
    cache_size: int = 16
    _rows: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.order)

    def batch(self, index: int) -> np.ndarray:
        """(batch, block + 1, width) int64 array of batch ``index``."""
        return np.stack([self.block_rows(g, b) for g, b in self.order[index]]).astype(np.int64)

    def block_rows(self, group: int, k: int) -> np.ndarray:
        """Block ``k`` of a group: rows ``[k*block, k*block + block + 1)``, padded with PAD rows."""
        rows = self.group_rows(group)
        part = rows[k * self.block : k * self.block + self.block + 1]
        out = np.full((self.block + 1, rows.shape[1]), self.layout.pad_id, dtype=rows.dtype)
        out[: len(part)] = part
        return out

    def group_rows(self, group: int) -> np.ndarray:
        """A group's rows this epoch (transposed, tempo varied, packed), kept while its lane plays it."""
        rows = self._rows.pop(group, None)
        if rows is None:
            rows = np.concatenate([self._varied(r) for r in self.groups[group]])
            while len(self._rows) >= self.cache_size:
                del self._rows[next(iter(self._rows))]  # the least recently used
        self._rows[group] = rows
        return rows

    def _varied(self, recipe: Recipe) -> np.ndarray:
        rows = transpose(self.corpus.piece(recipe.piece), self.layout, recipe.shift)
        if recipe.tempo is None or self.time_layout is None:
            return rows
        return apply_tempo(rows, self.time_layout, recipe.tempo)


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
    """Shuffle the pieces (seeded by seed and epoch), draw each one's transposition (and tempo when a
    `TimeLayout` is given), group them, order the batches; blocks are cut when a batch is read.

    With ``pack``, consecutive pieces shorter than a block share one (each starts with its own BOS
    row), so short role windows do not train on padding.
    """
    rng = np.random.default_rng([seed, epoch])
    recipes, lengths = [], []
    for i in rng.permutation(len(pieces)):
        rows = corpus.piece(pieces[i])
        shift = choose_shift(rows, layout, augment, rng)
        recipes.append(Recipe(pieces[i], shift, draw_tempo(rng) if tempo is not None else None))
        lengths.append(len(rows))
    groups = pack_groups(lengths, block + 1) if pack else [[i] for i in range(len(recipes))]
    counts = [block_count(sum(lengths[i] for i in g), block) for g in groups]
    order = contiguous_order(counts, batch_size)
    grouped = [[recipes[i] for i in g] for g in groups]
    return Epoch(corpus, layout, tempo, block, grouped, order, cache_size=2 * batch_size)


def pack_groups(lengths: Sequence[int], size: int) -> list[list[int]]:
    """Indices of consecutive pieces joined while they fit in ``size`` rows (a longer one stays alone)."""
    out: list[list[int]] = []
    group: list[int] = []
    used = 0
    for i, n in enumerate(lengths):
        if group and used + n > size:
            out.append(group)
            group, used = [], 0
        group.append(i)
        used += n
    if group:
        out.append(group)
    return out


def packed(pieces: Sequence[np.ndarray], size: int) -> list[np.ndarray]:
    """Consecutive pieces joined while they fit in ``size`` rows (a longer piece stays alone)."""
    return [np.concatenate([pieces[i] for i in g]) for g in pack_groups([len(p) for p in pieces], size)]


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
