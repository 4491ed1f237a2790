"""The straightforward generation loop upstream uses, kept as the benchmarks' baseline.

Every generation prefills its whole context through `transformers`' `LlamaModel` with a
`DynamicCache`, then per event runs the token net once per token (event type included) with a fresh
cache, builds a full-vocabulary mask, takes a softmax over the whole vocabulary and samples with a
sort-based top-p/top-k: what SkyTNT's `MIDIModel.generate` does for one sequence, note events only.
Float32. Never used live.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import torch
from transformers import DynamicCache

from conductor.backends.skytnt.model import MIDIModel
from conductor.backends.skytnt.sampling import Sampling
from conductor.backends.skytnt.tokenizer import get_tokenizer


def _sample_sorted(probs: torch.Tensor, settings: Sampling, gen: torch.Generator | None) -> int:
    probs_sort, probs_idx = torch.sort(probs, dim=-1, descending=True)
    cumulative = torch.cumsum(probs_sort, dim=-1)
    probs_sort[cumulative - probs_sort > settings.top_p] = 0.0
    keep = torch.zeros(probs_sort.shape[-1])
    keep[: settings.top_k] = 1
    probs_sort = probs_sort * keep
    probs_sort /= probs_sort.sum()
    choice = torch.multinomial(probs_sort, 1, generator=gen)
    return int(probs_idx[choice])


def reference_stream(
    model: MIDIModel,
    rows: Sequence[Sequence[int]],
    sampling: Sampling,
    generator: torch.Generator | None,
    max_events: int,
) -> Iterator[list[int]]:
    """Yield up to `max_events` decoded note rows after `rows`, recomputing the context first."""
    tok = get_tokenizer(model.config.tokenizer)
    seq = torch.tensor([list(r) for r in rows], dtype=torch.long)[None]
    cache = DynamicCache()
    past = 0
    for _ in range(max_events):
        with torch.inference_mode():
            hidden = model.forward(seq[:, past:], cache=cache)[:, -1]
            row = _decode_event(model, tok, hidden, sampling, generator)
        past = seq.shape[1]
        seq = torch.cat([seq, torch.tensor([[row]])], dim=1)
        yield row


def _decode_event(
    model: MIDIModel, tok: Any, hidden: torch.Tensor, sampling: Sampling, gen: torch.Generator | None
) -> list[int]:
    t = tok
    cache = DynamicCache()
    tokens: list[int] = []
    params = t.events["note"]
    for i in range(len(params) + 1):
        mask = torch.zeros(t.vocab_size)
        mask[[t.event_ids["note"]] if i == 0 else t.parameter_ids[params[i - 1]]] = 1
        if i == 0:
            logits = model.forward_token(hidden, None, cache=cache)[0, -1]
        else:
            logits = model.forward_token(None, torch.tensor([tokens[-1:]]), cache=cache)[0, -1]
        probs = torch.softmax(logits / sampling.temperature, dim=-1) * mask
        tokens.append(_sample_sorted(probs, sampling, gen))
    return tokens + [t.pad_id] * (t.max_token_seq - len(tokens))
