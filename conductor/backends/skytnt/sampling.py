"""Sampling one token value from logits: mask, temperature, top-k, top-p, seeded generator.

Semantics follow upstream's sampler (top-p over the sorted probabilities, then at most top-k kept),
applied after the constraint mask so a masked value never has probability. The draw is an
exponential race (two tensor ops) rather than `torch.multinomial`, which costs more per call.
`distribution` is the same sampler written out as probabilities over every value: speculative
decoding (`speculative.py`) accepts a draft's value against it.
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
    scores = _masked(logits, allowed)
    if settings.temperature < GREEDY_BELOW:
        return int(scores.argmax())
    top, index = _truncated(scores, settings)
    return int(index[race(top, generator)])


def distribution(logits: torch.Tensor, allowed: torch.Tensor | None, settings: Sampling) -> torch.Tensor:
    """The probabilities `sample` draws each value of 1-D `logits` with (masked, tempered, truncated
    by top-p and top-k, renormalised; one-hot on the most likely value when greedy), float32."""
    scores = _masked(logits, allowed)
    probs = torch.zeros_like(scores)
    if settings.temperature < GREEDY_BELOW:
        probs[scores.argmax()] = 1.0
        return probs
    top, index = _truncated(scores, settings)
    probs[index] = top
    return probs / probs.sum()


def race(weights: torch.Tensor, generator: torch.Generator | None) -> int:
    """Index i drawn with probability weights[i] / sum(weights) (1-D, non-negative, not all zero).

    An exponential race: argmax(w_i / E_i), E_i ~ Exp(1), drawn on the generator's device (a CPU
    generator keeps CUDA runs reproducible too). Two tensor ops, cheaper than `torch.multinomial`.
    """
    where = weights.device if generator is None else generator.device
    draws = torch.empty(weights.shape, device=where).exponential_(generator=generator).to(weights.device)
    return int((weights / draws).argmax())


def _masked(logits: torch.Tensor, allowed: torch.Tensor | None) -> torch.Tensor:
    scores = logits.float()
    return scores if allowed is None else scores.masked_fill(~allowed, float("-inf"))


def _truncated(scores: torch.Tensor, settings: Sampling) -> tuple[torch.Tensor, torch.Tensor]:
    """Upstream's truncation: the top-k probabilities (after temperature), those beyond the top-p
    mass zeroed; returns them (not renormalised) and their indices."""
    probs = torch.softmax(scores / settings.temperature, dim=-1)
    k = scores.shape[-1] if settings.top_k <= 0 else min(settings.top_k, scores.shape[-1])
    top, index = probs.topk(k)
    return top * ((top.cumsum(0) - top) <= settings.top_p), index


def make_generator(seed: int | None, device: torch.device | str = "cpu") -> torch.Generator:
    """A torch generator on `device`, seeded (or from OS entropy when `seed` is None)."""
    gen = torch.Generator(device=device)
    if seed is None:
        gen.seed()
    else:
        gen.manual_seed(seed)
    return gen
