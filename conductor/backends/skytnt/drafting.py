"""Drafting rows for speculative decoding: a `Draft`'s guesses made into whole event rows.

`draft_rows` asks the draft for each token's probabilities under the same masks as decoding
(`Decoder.token_mask`: channels, pitch range and key, the onset window, after the rows drafted before
it), samples each value, and keeps what verification needs: the mask, the drafted index and the
draft's probabilities q. Values a mask forces are taken, not drafted (q None). Not thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from conductor.backends.skytnt.draft import Draft
from conductor.backends.skytnt.generate import Decoder, Row
from conductor.backends.skytnt.masks import TIME_STEPS, EventMask
from conductor.backends.skytnt.sampling import Sampling, race


@dataclass
class Proposal:
    """A drafted event row: tokens (type first); per token its head, mask, index among the head's
    values and the draft's probabilities (None where the mask forced it); `whole` is False when no
    value was allowed for the next token (decoding would end there)."""

    tokens: list[int] = field(default_factory=list)
    heads: list[str] = field(default_factory=list)
    allowed: list[torch.Tensor | None] = field(default_factory=list)
    index: list[int] = field(default_factory=list)
    q: list[torch.Tensor | None] = field(default_factory=list)
    whole: bool = True

    def add(
        self, token: int, head: str, allowed: torch.Tensor | None, index: int, q: torch.Tensor | None
    ) -> None:
        """Append one token."""
        self.tokens.append(token)
        self.heads.append(head)
        self.allowed.append(allowed)
        self.index.append(index)
        self.q.append(q)


def draft_rows(
    dec: Decoder,
    draft: Draft,
    mask: EventMask,
    depth: int,
    sampling: Sampling,
    gen: torch.Generator | None,
) -> tuple[list[Proposal], list[EventMask]]:
    """Up to `depth` drafted rows after the decoder's rows, the first under `mask`, each later one
    under the mask advanced past the rows drafted before it (`Decoder.advanced`); stops after a row
    that would end the generation (EOS, no value allowed, an onset past the window). Returns the
    proposals and the mask each was drafted under."""
    rows, at = list(dec.rows), (dec.last_beat, dec.last_step)
    out: list[Proposal] = []
    masks: list[EventMask] = []
    for _ in range(depth):
        prop = _propose(dec, draft, rows, mask, at, sampling, gen)
        out.append(prop)
        masks.append(mask)
        if not prop.whole or dec.event_length(prop.tokens[0]) == 1:
            break
        row = dec.padded(prop.tokens)
        beat, step = dec.place(row, at[0])
        if mask.ends(beat * TIME_STEPS + step):
            break
        rows.append(row)
        at = (beat, step)
        mask = dec.advanced(mask, row, beat)
    return out, masks


def _propose(
    dec: Decoder,
    draft: Draft,
    rows: list[Row],
    mask: EventMask,
    at: tuple[int, int],
    sampling: Sampling,
    gen: torch.Generator | None,
) -> Proposal:
    prop = Proposal()
    draft.start(rows)
    while not prop.tokens or len(prop.tokens) < dec.event_length(prop.tokens[0]):
        head, allowed = dec.token_mask(prop.tokens, mask, at)
        allowed = None if allowed is None else allowed.to(dec.device)
        q = None
        if allowed is not None and int(allowed.sum()) <= 1:
            if not bool(allowed.any()):
                prop.whole = False
                return prop
            index = int(allowed.nonzero()[0, 0])
        else:
            q = _masked(draft.propose(head, allowed, sampling).to(dec.device), allowed)
            index = race(q, gen)
        prop.add(dec.heads[head][1][index], head, allowed, index, q)
        draft.feed(prop.tokens[-1])
    return prop


def _masked(q: torch.Tensor, allowed: torch.Tensor | None) -> torch.Tensor:
    """`q` restricted to the allowed values and renormalised (uniform on them if `q` puts nothing there)."""
    q = q.float()
    if allowed is not None:
        q = q * allowed
    total = float(q.sum())
    if total <= 0:
        q = torch.ones_like(q) if allowed is None else allowed.float()
        total = float(q.sum())
    return q / total
