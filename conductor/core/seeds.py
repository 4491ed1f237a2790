"""Seeds: the one way conductor derives a seed from others, so the same inputs give the same take.

`derive_seed(*parts)` mixes integers into a 31-bit seed. The engine derives each generation's sampling
seed from the piece's `sampling.seed` (else the engine's `--seed`) and the generation's number, and
its filter seed from `--seed` and the number (`conductor.engine.plan`). A backend samples with the
request's seed as it comes and mixes nothing in again; a filter draws per note from its generation's
seed (`conductor.engine.filters.base.unit_random`).
"""

from __future__ import annotations


def derive_seed(*parts: int) -> int:
    """A deterministic 31-bit seed from integers (the same parts, the same seed, in every process)."""
    seed = 0x2545F491
    for part in parts:
        seed = (seed * 1_000_003 + part) % (2**31 - 1)
    return seed
