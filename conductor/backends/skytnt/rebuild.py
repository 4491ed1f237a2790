"""A context re-prefilled off the critical path: a second event-net cache filled in the background,
one layer at a time, then swapped in whole.

When a window slides past what the cache can extend (the anchor is rebuilt from a later bar line), or
a note lands far back in the cached rows (a long held note heard at its release), the rows to compute
are the whole window: 1024 events of tv2o-medium take 2.5 s on one thread of the 2-core machine. Done
in place, every trigger in those seconds waits for it. `Rebuild` fills a spare `KVCache` with the new
rows instead, between requests: `work(pause)` runs one layer of a 64-row chunk at a time (about 16 ms
for tv2o-medium) and returns as soon as `pause()` says a request waits, so a generation waits at most
one layer slice, and decodes meanwhile from the cache it has. `target(rows)` follows the rows as the
new context grows (only rows after the common prefix are recomputed); when the spare holds them all,
`swap()` gives it to the decoder and keeps the old cache as the next spare. Not thread-safe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import torch

from conductor.backends.skytnt.generate import Decoder, Row, common_prefix
from conductor.backends.skytnt.runtime import KVCache

CHUNK = 64  # rows per forward: big enough to be compute-bound, sliced by layer for pausing


class Rebuild:
    """A spare event-net cache for `decoder`, filled towards `rows` by `work()`."""

    def __init__(self, decoder: Decoder, tail: int = 0) -> None:
        """`tail`: the last rows of a target left to the live path (they change as notes arrive: a
        rebuild chasing them would drop its last chunk at every change and never finish)."""
        self.decoder, self.tail = decoder, tail
        self.cache: KVCache | None = None  # allocated at the first target: most pieces never slide
        self.rows: list[Row] = []
        self.hidden: torch.Tensor | None = None  # the event net's output at row cache.length - 1
        self._chunk: Iterator[torch.Tensor | None] | None = None
        self._chunk_end = 0

    @property
    def computed(self) -> int:
        """Rows of `rows` the spare cache holds."""
        return self.cache.length if self.cache is not None else 0

    @property
    def done(self) -> bool:
        """The spare cache holds every row of the target (there is one)."""
        filled = self._chunk is None and self.computed >= self._goal
        return bool(self.rows) and filled and self.hidden is not None

    @property
    def complete(self) -> bool:
        """Every row of the target is computed (`tail` aside, `done` may leave the last rows)."""
        return self.done and self.computed == len(self.rows)

    @property
    def _goal(self) -> int:
        """Rows to compute: all but the tail (at most a quarter of the target)."""
        return max(1, len(self.rows) - min(self.tail, len(self.rows) // 4))

    def target(self, rows: Sequence[Sequence[int]]) -> None:
        """Fill towards `rows` from now on; the rows shared with what is computed are kept."""
        new = [tuple(r) for r in rows]
        if self.cache is None:
            self.cache = KVCache(self.decoder.net, len(new))
        keep = common_prefix(self.rows[: self.cache.length], new)
        if keep == self.cache.length == len(new) and self.hidden is not None:
            self.rows = new
            return
        keep = min(keep, len(new) - 1)  # at least the last row is computed: its output is needed
        if self._chunk is not None and keep < self._chunk_end:
            self._chunk = None  # its rows changed: drop it (the cache's length has not moved yet)
        if keep < self.cache.length:
            self.cache.length, self.hidden = keep, None
        self.rows = new

    def work(self, pause: Callable[[], bool]) -> bool:
        """Fill the spare cache until it holds the target (True) or `pause()`, asked after every layer,
        is true (False: call again to go on)."""
        with torch.inference_mode():
            while not self.done:
                if self._chunk is None:
                    self._chunk = self._next_chunk()
                out = next(self._chunk)
                if out is not None:  # the chunk's last layer
                    self.hidden, self._chunk = out[-1], None
                elif pause():
                    return False
        return True

    def _next_chunk(self) -> Iterator[torch.Tensor | None]:
        assert self.cache is not None
        start = self.cache.length
        self._chunk_end = min(start + CHUNK, self._goal)
        ids = torch.tensor(self.rows[start : self._chunk_end], dtype=torch.long, device=self.decoder.device)
        return self.decoder.net.steps(self.decoder.net.embed[ids].sum(dim=-2), self.cache)

    def swap(self) -> None:
        """Give the decoder the filled cache and the rows it holds (`done` must be true); its old cache
        becomes the spare."""
        assert self.done and self.cache is not None and self.hidden is not None
        old = self.decoder.adopt(self.cache, self.rows[: self.cache.length], self.hidden)
        self.cache, self.rows, self.hidden = old
        self.rows = self.rows[: self.cache.length]

    def drop(self) -> None:
        """Forget the target (the spare cache is kept for the next one)."""
        self._chunk, self.rows, self.hidden = None, [], None
        if self.cache is not None:
            self.cache.length = 0
