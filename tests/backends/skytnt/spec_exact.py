"""Exact event distributions of the normal decoding path, and sample comparisons, for speculative tests.

`event_distribution` walks every value the normal sampler can draw (a fresh token-net pass per prefix,
nothing cached), so with a small top-k it gives each event row's probability exactly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence

import torch

from conductor.backends.skytnt.generate import Decoder, Row
from conductor.backends.skytnt.masks import EventMask
from conductor.backends.skytnt.runtime import KVCache
from conductor.backends.skytnt.sampling import Sampling, distribution

SIGNIFICANCE = 1e-4  # fixed seeds: an exact sampler fails only if the seed is a 1-in-10^4 draw


def chi2_sf(stat: float, dof: int) -> float:
    """P(X ≥ stat) for X ~ chi-square with `dof` degrees of freedom (regularised upper gamma)."""
    return float(torch.special.gammaincc(torch.tensor(dof / 2.0, dtype=torch.float64),
                                         torch.tensor(stat / 2.0, dtype=torch.float64)))  # fmt: skip


@torch.inference_mode()
def event_distribution(
    dec: Decoder, context: Sequence[Row], mask: EventMask, sampling: Sampling
) -> dict[Row | None, float]:
    """P(next event row) after `context` under `mask` (None: the generation ends there)."""
    dec.prefill(context)
    assert dec.hidden is not None
    hidden, at = dec.hidden, (dec.last_beat, dec.last_step)
    out: dict[Row | None, float] = {}

    def walk(prefix: list[int], prob: float) -> None:
        if prefix and len(prefix) == dec.event_length(prefix[0]):
            key = dec.padded(prefix) if len(prefix) > 1 else None
            out[key] = out.get(key, 0.0) + prob
            return
        head, allowed = dec.token_mask(prefix, mask, at)
        ids = dec.heads[head][1]
        if allowed is not None and int(allowed.sum()) <= 1:
            if not bool(allowed.any()):
                out[None] = out.get(None, 0.0) + prob
                return
            walk([*prefix, ids[int(allowed.nonzero()[0, 0])]], prob)
            return
        x = torch.stack([hidden, *(dec.token_net.embed[t] for t in prefix)])
        states = dec.token_net.forward(x, KVCache(dec.token_net, len(prefix) + 1))
        p = distribution(dec.heads[head][0](states[-1:])[0], allowed, sampling)
        for i in p.nonzero()[:, 0].tolist():
            walk([*prefix, ids[i]], prob * float(p[i]))

    walk([], 1.0)
    return out


def second_event_distribution(
    dec: Decoder, context: Sequence[Row], mask: EventMask, sampling: Sampling
) -> dict[Row | None, float]:
    """P(second event row) after `context`: the first under `mask`, the second under `mask.opened()`."""
    out: dict[Row | None, float] = {}
    for first, p1 in event_distribution(dec, context, mask, sampling).items():
        if first is None:
            continue
        for second, p2 in event_distribution(dec, [*context, first], mask.opened(), sampling).items():
            out[second] = out.get(second, 0.0) + p1 * p2
    return out


def chi_square_p(counts: Mapping[Hashable, int], probs: Mapping[Hashable, float]) -> float:
    """Goodness of fit of `counts` to `probs` (categories expecting under 5 draws are pooled);
    a count outside the support gives 0."""
    n = sum(counts.values())
    if any(probs.get(k, 0.0) <= 0.0 for k in counts):
        return 0.0
    stat, dof, pooled_obs, pooled_exp = 0.0, -1, 0, 0.0
    for key, p in probs.items():
        expected, observed = n * p, counts.get(key, 0)
        if expected < 5:
            pooled_obs, pooled_exp = pooled_obs + observed, pooled_exp + expected
            continue
        stat, dof = stat + (observed - expected) ** 2 / expected, dof + 1
    if pooled_exp > 0:
        stat, dof = stat + (pooled_obs - pooled_exp) ** 2 / pooled_exp, dof + 1
    return chi2_sf(stat, max(dof, 1))


def two_sample_p(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Chi-square test that two samples come from one distribution (categories with < 10 draws in
    both together are pooled)."""
    ca, cb = Counter(a), Counter(b)
    na, nb = len(a), len(b)
    cells: list[tuple[int, int]] = []
    rare = [0, 0]
    for key in set(ca) | set(cb):
        x, y = ca[key], cb[key]
        if x + y < 10:
            rare[0], rare[1] = rare[0] + x, rare[1] + y
        else:
            cells.append((x, y))
    if sum(rare):
        cells.append((rare[0], rare[1]))
    stat = 0.0
    for x, y in cells:
        total = x + y
        ea, eb = total * na / (na + nb), total * nb / (na + nb)
        stat += (x - ea) ** 2 / ea + (y - eb) ** 2 / eb
    return chi2_sf(stat, max(len(cells) - 1, 1))


def tv_distance(counts: Mapping[Hashable, int], probs: Mapping[Hashable, float]) -> float:
    """Total-variation distance between the empirical distribution of `counts` and `probs`."""
    n = sum(counts.values())
    keys = set(counts) | set(probs)
    return 0.5 * sum(abs(counts.get(k, 0) / n - probs.get(k, 0.0)) for k in keys)
