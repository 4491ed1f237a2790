"""Sampling one token value from logits: mask, temperature, top-k, top-p, seeded generator.

Semantics follow upstream's sampler (top-p over the sorted probabilities, then at most top-k kept),
applied after the constraint mask so a masked value never has probability. The draw is an
exponential race (two tensor ops) rather than `torch.multinomial`, which costs more per call.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

GREEDY_BELOW = 1e-4  # temperatures under this pick the most likely value


@dataclass(frozen=True, slots=True)
class Sampling:
    """Sampling settings for one generation."""

    temperature: float = 1.0
    top_p: float = 0.98
    top_k: int = 20  # 0: no limit


def sample(
    logits: torch.Tensor,
    allowed: torch.Tensor | None,
    settings: Sampling,
    generator: torch.Generator | None,
) -> int:
    """Index of the sampled value of 1-D `logits`, never one where `allowed` is False.

    `allowed` must have at least one True entry.
    """
    scores = logits.float()
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    if settings.temperature < GREEDY_BELOW:
        return int(scores.argmax())
    probs = torch.softmax(scores / settings.temperature, dim=-1)
    k = scores.shape[-1] if settings.top_k <= 0 else min(settings.top_k, scores.shape[-1])
    top, index = probs.topk(k)
    top = top * ((top.cumsum(0) - top) <= settings.top_p)
    # exponential race: argmax(p_i / E_i), E_i ~ Exp(1), picks i with probability p_i / sum(p)
    # drawn on the generator's device (a CPU generator keeps CUDA runs reproducible too)
    where = top.device if generator is None else generator.device
    race = torch.empty(top.shape, device=where).exponential_(generator=generator).to(top.device)
    return int(index[(top / race).argmax()])


def make_generator(seed: int | None, device: torch.device | str = "cpu") -> torch.Generator:
    """A torch generator on `device`, seeded (or from OS entropy when `seed` is None)."""
    gen = torch.Generator(device=device)
    if seed is None:
        gen.seed()
    else:
        gen.manual_seed(seed)
    return gen
