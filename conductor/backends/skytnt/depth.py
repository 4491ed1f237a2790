"""How far to draft ahead in speculative decoding, and what the drafting achieved.

`Depth` chooses the number of events to draft from acceptance counts only — never from timing — so a
seeded generation is reproducible on any machine. `SpecStats` counts what happened, for benchmarks
and logs. Not thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SpecStats:
    """Counts over a speculative decoder's life."""

    events: int = 0  # events decoded
    normal: int = 0  # of which by the normal path (depth 0)
    passes: int = 0  # event-net passes of speculative iterations
    rows: int = 0  # rows those passes computed (the previous event's and drafted ones)
    verified: int = 0  # drafted rows verified
    accepted: int = 0  # drafted rows kept whole
    values: int = 0  # drafted values verified (values the mask forces are not drafted)
    kept: int = 0  # drafted values kept

    @property
    def row_acceptance(self) -> float:
        """Share of verified drafted rows kept whole."""
        return self.accepted / self.verified if self.verified else 0.0

    @property
    def value_acceptance(self) -> float:
        """Share of verified drafted values kept."""
        return self.kept / self.values if self.values else 0.0


# A token-net pass costs about LAYER_MS per layer (Python, op dispatch) plus reading its weights at
# BYTES_PER_MS; drafting and verifying a row costs about ROW_MS of Python (tv2o-medium float16: a pass
# ~2.2–4 ms, conductor-small: ~0.3–0.5 ms; one core of this machine, docs/benchmarks.md).
LAYER_MS = 0.1
BYTES_PER_MS = 15e6
ROW_MS = 0.6
BYTES_PER_WEIGHT = {"float32": 4, "bfloat16": 2, "float16": 2, "int8": 1}


def least_kept(layers: int, weights: int, dtype: str) -> float:
    """Drafted values a verified row must keep, on average, for drafting to pay: each kept value
    saves one token-net pass (of `layers` layers and `weights` weights in `dtype`), each row costs
    ROW_MS. Between 0.5 and 1.75."""
    pass_ms = LAYER_MS * layers + weights * BYTES_PER_WEIGHT.get(dtype, 4) / BYTES_PER_MS
    return min(1.75, max(0.5, ROW_MS / pass_ms))


@dataclass
class Depth:
    """Events to draft per iteration, from moving averages of the acceptance seen so far.

    `rows` is the share of verified rows kept whole, `values` the drafted values kept per verified
    row (up to its first rejection). The depth is 1 plus the number of further rows j with
    rows**j ≥ `threshold`: a further drafted row adds one row to the event-net pass (~0.18 of a
    one-row pass for tv2o-medium float16 on one core here) and one row to draft and verify, which
    pays only when it is reached and kept often enough. At most `most`. While a verified row keeps
    fewer than `least` values (`least_kept`: 0.5 for tv2o-medium float16, 1.75 for small nets whose
    passes cost little more than the drafting), drafting costs more than it saves: depth 0 (the
    normal path), with depth 1 every `probe` events so that a draft that learns is noticed.
    `fixed` overrides all.
    """

    fixed: int | None = None
    most: int = 6
    threshold: float = 0.3
    least: float = 1.75
    probe: int = 16
    rate: float = 0.2
    rows: float = 0.0
    values: float = -1.0  # below 0: start at 2 * least + 1 (try drafting; a few poor rows stop it)
    _waited: int = 0

    def __post_init__(self) -> None:
        if self.fixed is not None and self.fixed < 0:
            raise ValueError(f"speculative depth {self.fixed}: expected 0 or more events")
        if self.most < 1:
            raise ValueError(f"speculative depth at most {self.most}: expected 1 or more events")
        if self.values < 0:
            self.values = 2 * self.least + 1

    def next(self) -> int:
        """The depth of the next iteration (0: decode the next event the normal way)."""
        if self.fixed is not None:
            return self.fixed
        if self.values < self.least:
            self._waited += 1
            if self._waited < self.probe:
                return 0
            self._waited = 0
        depth = 1
        while depth < self.most and self.rows**depth >= self.threshold:
            depth += 1
        return depth

    def update(self, whole: bool, kept: int) -> None:
        """One verified drafted row: kept whole or not, and how many drafted values were kept."""
        self.rows += self.rate * (float(whole) - self.rows)
        self.values += self.rate * (kept - self.values)
