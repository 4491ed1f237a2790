"""`ShardedRows`: the token rows of several memory-mapped shards, read as one (rows, width) array.

A corpus's pieces are row ranges; a piece never spans two shards (a shard holds whole files), so
reading one copies nothing but that piece's rows from the page cache: the corpus is never loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ShardedRows:
    """Row slices over consecutive shards (each an array or a `np.memmap` of (rows, width))."""

    parts: tuple[np.ndarray, ...]
    starts: tuple[int, ...]  # first row of each part, then the total

    @classmethod
    def of(cls, parts: Sequence[np.ndarray | ShardedRows]) -> ShardedRows:
        """Parts in order (arrays, or other `ShardedRows` whose parts are taken as they are)."""
        flat = [q for p in parts for q in (p.parts if isinstance(p, ShardedRows) else (p,))]
        starts = np.concatenate([[0], np.cumsum([len(p) for p in flat])]).astype(int)
        return cls(tuple(flat), tuple(int(s) for s in starts))

    @property
    def shape(self) -> tuple[int, int]:
        """(rows over all shards, row width)."""
        return self.starts[-1], int(self.parts[0].shape[1]) if self.parts else 0

    @property
    def dtype(self) -> np.dtype[Any]:
        """The rows' dtype (int16 for token caches)."""
        return self.parts[0].dtype if self.parts else np.dtype(np.int16)

    def __len__(self) -> int:
        return self.starts[-1]

    def __getitem__(self, index: slice) -> np.ndarray:
        """Rows ``index.start`` to ``index.stop`` (a step is not supported)."""
        start, stop, step = index.indices(len(self))
        if step != 1:
            raise ValueError("ShardedRows: only contiguous row slices")
        if not self.parts:
            return np.zeros((0, 0), np.int16)
        k = int(np.searchsorted(self.starts, start, side="right")) - 1
        if k < len(self.parts) and stop <= self.starts[k + 1]:
            return np.asarray(self.parts[k][start - self.starts[k] : stop - self.starts[k]])
        pairs = zip(self.parts, self.starts[:-1], strict=True)
        pieces = [np.asarray(p[max(0, start - s) : max(0, stop - s)]) for p, s in pairs]
        return np.concatenate(pieces).reshape(-1, self.shape[1])

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """Every row in memory (for small corpora and tests; training reads piece by piece)."""
        return np.asarray(self[0 : len(self)], dtype=dtype)
