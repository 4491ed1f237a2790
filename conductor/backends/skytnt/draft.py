"""Drafts for speculative decoding: cheap guesses at the next events, token by token.

A draft proposes an event row one token at a time: `start(rows)` begins a row after `rows`, `feed`
gives it each token chosen (drafted or forced by the mask), `propose(head, allowed, sampling)` returns
its probabilities over the values of the next token's parameter (`head`: "<event>" or a parameter
name). The speculative decoder masks them, samples the drafted value, and later accepts or corrects
it against the model's own distribution — so a draft may be arbitrarily wrong without changing what
is played, only how often a guess is kept. `learn` hands the draft the model's distribution at every
verified token, for drafts that learn online.

- `TableDraft` ("online"): the model's own recent distributions per (parameter, previous token),
  learnt from the verifications; costs a dictionary lookup.
- `ModelDraft`: another SkyTNT `Decoder` with the same tokenizer drafts by running its own nets: a
  small transformer, or a copy of the model with event-net layers skipped (`skip_layers`).
- `StaleDraft` ("stale"): the model's own token net from the last event-net state it computed, so
  drafting skips every event-net layer.

Not thread-safe (one decoder's state).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Protocol

import torch
from torch import nn

from conductor.backends.skytnt.generate import Decoder, Row
from conductor.backends.skytnt.model import MIDIModel
from conductor.backends.skytnt.runtime import KVCache
from conductor.backends.skytnt.sampling import Sampling, distribution

DRAFT_NAMES = ("online", "stale")


class Draft(Protocol):
    """Proposes event rows token by token (see the module docstring)."""

    def observe(self, rows: Sequence[Row]) -> None:
        """The decoder's context is now `rows` (heard notes prefilled): warm up if useful."""

    def start(self, rows: Sequence[Row]) -> None:
        """Begin drafting a row after `rows`."""

    def feed(self, token: int) -> None:
        """The row's next token (drafted, or forced by the mask)."""

    def propose(self, head: str, allowed: torch.Tensor | None, sampling: Sampling) -> torch.Tensor:
        """Probabilities (float32) over the values of `head` for the row's next token."""
        ...

    def learn(self, head: str, previous: int | None, p: torch.Tensor) -> None:
        """The model's distribution `p` over `head`'s values after the token `previous` (None: at the
        start of a row)."""


class TableDraft:
    """The model's recent distributions per (parameter, previous token in the row), as moving averages.

    Learnt only from `learn` (the verifications' distributions, free to collect); before that, and
    for a previous token never seen, the parameter's average; before that, uniform.
    """

    def __init__(self, sizes: dict[str, int], rate: float = 0.2) -> None:
        self.sizes = sizes  # head → number of values
        self.rate = rate
        self.table: dict[tuple[str, int | None], torch.Tensor] = {}
        self.average: dict[str, torch.Tensor] = {}
        self._previous: int | None = None

    def observe(self, rows: Sequence[Row]) -> None:
        """Nothing to do: the table learns from verifications."""

    def start(self, rows: Sequence[Row]) -> None:
        """A new row: no previous token."""
        self._previous = None

    def feed(self, token: int) -> None:
        """Remember the previous token."""
        self._previous = token

    def propose(self, head: str, allowed: torch.Tensor | None, sampling: Sampling) -> torch.Tensor:
        """The average after this previous token, else the parameter's, else uniform."""
        found = self.table.get((head, self._previous))
        if found is None:
            found = self.average.get(head)
        return found if found is not None else torch.full((self.sizes[head],), 1.0 / self.sizes[head])

    def learn(self, head: str, previous: int | None, p: torch.Tensor) -> None:
        """Move both averages towards `p`."""
        key = (head, previous)
        self.table[key] = self._moved(self.table.get(key), p)
        self.average[head] = self._moved(self.average.get(head), p)

    def _moved(self, old: torch.Tensor | None, p: torch.Tensor) -> torch.Tensor:
        return p.clone() if old is None else torch.lerp(old, p, self.rate)


class _TokenNetDraft:
    """Drafts with a decoder's token net from an event-net state (`_state`), in a cache of its own."""

    def __init__(self, decoder: Decoder) -> None:
        self.decoder = decoder
        self.cache = KVCache(decoder.token_net, decoder.tokenizer.max_token_seq + 1)
        self._pending: list[torch.Tensor] = []

    def _state(self, rows: Sequence[Row]) -> torch.Tensor:
        raise NotImplementedError

    def observe(self, rows: Sequence[Row]) -> None:
        """Nothing by default."""

    @torch.inference_mode()
    def start(self, rows: Sequence[Row]) -> None:
        """Start the token net from the event-net state for `rows`."""
        self.cache.length = 0
        self._pending = [self._state(rows)]

    def feed(self, token: int) -> None:
        """Queue the token's embedding for the next pass."""
        self._pending.append(self.decoder.token_net.embed[token])

    @torch.inference_mode()
    def propose(self, head: str, allowed: torch.Tensor | None, sampling: Sampling) -> torch.Tensor:
        """One token-net pass; the same mask, temperature, top-p and top-k as the model samples with."""
        dec = self.decoder
        out = dec.token_net.forward(torch.stack(self._pending), self.cache)[-1:]
        self._pending.clear()
        mask = None if allowed is None else allowed.to(dec.device)
        return distribution(dec.heads[head][0](out)[0], mask, sampling).cpu()

    def learn(self, head: str, previous: int | None, p: torch.Tensor) -> None:
        """Nothing: the nets are fixed."""


class ModelDraft(_TokenNetDraft):
    """Another model (same tokenizer) drafting with its own `Decoder`: its cache follows the rows."""

    def observe(self, rows: Sequence[Row]) -> None:
        """Prefill the draft model's cache with the context too, so a trigger finds it warm."""
        self.decoder.prefill(rows)

    def _state(self, rows: Sequence[Row]) -> torch.Tensor:
        self.decoder.prefill(rows)  # only the rows after the common prefix: a rejection rolls back
        assert self.decoder.hidden is not None
        return self.decoder.hidden


class StaleDraft(_TokenNetDraft):
    """The model's own token net from the last event-net state the decoder computed: every drafted row
    of an iteration starts from that one state, so drafting runs no event-net layer."""

    def _state(self, rows: Sequence[Row]) -> torch.Tensor:
        assert self.decoder.hidden is not None
        return self.decoder.hidden


def skip_layers(model: MIDIModel, keep: int) -> MIDIModel:
    """A copy of `model` whose event net keeps only its first `keep` layers (a self-draft)."""
    if not 1 <= keep <= len(model.net.layers):
        raise ValueError(f"keep {keep} event-net layers: expected 1 to {len(model.net.layers)}")
    draft = copy.deepcopy(model)
    draft.net.layers = nn.ModuleList(list(draft.net.layers)[:keep])
    draft.net.config.num_hidden_layers = keep
    return draft


def same_tokenizer(decoder: Decoder, draft: Decoder) -> None:
    """Raise ValueError unless the draft model reads and writes the decoder's token ids."""
    if decoder.tokenizer.name != draft.tokenizer.name:
        raise ValueError(
            f"the draft model uses tokenizer {draft.tokenizer.name} but the model uses "
            f"{decoder.tokenizer.name}: a draft must share the model's tokenizer"
        )


def make_draft(name: str, decoder: Decoder) -> Draft:
    """A draft by name for `decoder`: "online" (`TableDraft`) or "stale" (`StaleDraft`)."""
    if name == "online":
        sizes = {head: len(ids) for head, (_, ids) in decoder.heads.items()}
        return TableDraft(sizes)
    if name == "stale":
        return StaleDraft(decoder)
    raise ValueError(f"unknown draft {name!r}: expected one of {', '.join(DRAFT_NAMES)}")
