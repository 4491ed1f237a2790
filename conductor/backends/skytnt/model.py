"""The SkyTNT MIDI model: an event-level Llama (`net`), a token-level Llama (`net_token`), `lm_head`.

Each MIDI event is a row of `max_token_seq` token ids (event type, then its parameters, padded). The
event net reads the sum of a row's token embeddings per position; its last hidden state starts the
token net, which decodes the next row one token at a time through `lm_head`. The parameter names match
upstream's, so a state_dict from a real checkpoint loads unchanged.

This module is the plain (training and reference) form; `runtime.FastNet` is the fast inference path
over the same weights. The cache argument is transformers' `cache` (5.24+; `past_key_values` before,
removed in 5.40).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from transformers import LlamaModel

from conductor.backends.skytnt.config import MIDIModelConfig


class MIDIModel(nn.Module):
    """`net`, `net_token` and `lm_head`, named as upstream names them."""

    def __init__(self, config: MIDIModelConfig) -> None:
        super().__init__()
        self.config = config
        self.net = LlamaModel(config.net)
        self.net_token = LlamaModel(config.net_token)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)

    def forward(self, x: torch.Tensor, cache: Any = None) -> torch.Tensor:
        """Event hidden states (batch, events, n_embd) for token rows `x` (batch, events, tokens)."""
        emb = self.net.embed_tokens(x).sum(dim=-2)
        out = self.net(inputs_embeds=emb, cache=cache, use_cache=cache is not None)
        return out.last_hidden_state

    def forward_token(
        self, hidden: torch.Tensor | None = None, x: torch.Tensor | None = None, cache: Any = None
    ) -> torch.Tensor:
        """Token logits (batch, positions, vocab): `hidden` (batch, n_embd) starts the sequence and
        `x` (batch, tokens) continues it; with a cache, pass only what it has not seen."""
        parts = [] if hidden is None else [hidden.unsqueeze(1)]
        if x is not None:
            parts.append(self.net_token.embed_tokens(x))
        seq = torch.cat(parts, dim=1)
        out = self.net_token(inputs_embeds=seq, cache=cache, use_cache=cache is not None)
        return self.lm_head(out.last_hidden_state)

    def parameter_count(self) -> int:
        """Number of weights."""
        return sum(p.numel() for p in self.parameters())


def build_model(config: MIDIModelConfig, seed: int | None = 0) -> MIDIModel:
    """A randomly initialised model (seeded, for benchmarks and tests), in eval mode."""
    if seed is not None:
        torch.manual_seed(seed)
    return MIDIModel(config).eval()
