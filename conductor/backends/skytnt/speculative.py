"""Exact speculative decoding for the two-level SkyTNT model: drafted events verified in one pass.

One iteration, `depth` k (chosen by `Depth` from the acceptance so far):
1. A draft (`draft.py`) proposes k event rows token by token, under the same masks as decoding
   (each row's mask advanced past the rows drafted before it, as decoding advances it); values a
   mask forces are taken, not drafted. The draft's probabilities q of each drafted value are
   kept.
2. The event net runs once over the rows its cache lacks (the last decoded event) and the first k−1
   drafted rows: one pass gives the state each drafted row is decoded from.
3. Each drafted row is verified with one teacher-forced token-net pass (instead of one per sampled
   value). Token by token, p is the model's final sampling distribution — `sampling.distribution`:
   masked, divided by the temperature, softmax, top-p then top-k as `sample` applies them,
   renormalised (one-hot when greedy) — and the drafted value x is kept with probability
   min(1, p(x)/q(x)). At the first rejection the value is drawn from max(0, p − q) renormalised,
   the token cache is cut back to that token, and the event is finished the normal way
   (`Decoder.finish_event`); later drafted rows are dropped and the event-net cache is cut back to
   the rows kept.
So every token is distributed exactly as the normal path samples it (speculative sampling, token by
token), masks and truncation included: p is zero wherever the mask or truncation puts nothing.
Depth 0 is the normal path (`Decoder.step`). The first event after a prefilled context (its state
is there already) is always decoded the normal way, so the time to the first event is unchanged.

Streaming as the `Decoder`: rows are yielded one at a time and join the decoder's sequence as they
are yielded; at each `yield` the decoder's cache holds only yielded rows (closing the stream leaves a
consistent decoder; the drafted rows computed beyond are forgotten). If the decoder is used by
someone else between two yields, the rest of the iteration is dropped and decoding goes on from the
decoder's state. Deterministic for a seeded generator. Not thread-safe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch

from conductor.backends.skytnt.depth import Depth, SpecStats, least_kept
from conductor.backends.skytnt.draft import Draft
from conductor.backends.skytnt.drafting import Proposal, draft_rows
from conductor.backends.skytnt.generate import Decoder, Row
from conductor.backends.skytnt.masks import TIME_STEPS, EventMask
from conductor.backends.skytnt.sampling import Sampling, distribution, race


@dataclass
class _Batch:
    """An iteration's decoded rows (with their beats) and the event-net pass they came from."""

    rows: list[tuple[Row, int]]
    ended: bool  # the generation ends after these rows
    full: int  # cache length covering the pass's rows that were kept
    base: int  # cache length before the pass
    outputs: torch.Tensor  # the pass's event-net outputs


def accept(p: torch.Tensor, q: torch.Tensor, x: int, gen: torch.Generator | None) -> int:
    """Speculative sampling of one value: the drafted index `x` (drawn from `q`) is kept with
    probability min(1, p[x]/q[x]); otherwise an index drawn from max(0, p − q) renormalised. The
    result is distributed as `p` exactly."""
    px, qx = float(p[x]), float(q[x])
    if px >= qx:
        return x
    where = p.device if gen is None else gen.device
    if float(torch.rand((), generator=gen, device=where)) * qx < px:
        return x
    residual = (p - q).clamp_min(0.0)
    return race(residual if float(residual.sum()) > 0 else p, gen)


class SpeculativeDecoder:
    """Decodes with `decoder` and a `draft` (see the module docstring): same `prefill` and `stream`."""

    def __init__(self, decoder: Decoder, draft: Draft, depth: Depth | None = None) -> None:
        self.decoder = decoder
        self.draft = draft
        self.depth = depth or Depth(least=least_kept(*_token_net_size(decoder), decoder.dtype))
        self.stats = SpecStats()

    @property
    def device(self) -> torch.device:
        """The decoder's device."""
        return self.decoder.device

    def prefill(self, rows: Sequence[Sequence[int]], pause: Callable[[], bool] | None = None) -> int:
        """The decoder's `prefill`; the draft sees the context too."""
        computed = self.decoder.prefill(rows, pause)
        self.draft.observe(self.decoder.rows)
        return computed

    def reset(self) -> None:
        """Forget the cached context."""
        self.decoder.reset()

    def stream(
        self,
        rows: Sequence[Sequence[int]] | None,
        mask: EventMask,
        sampling: Sampling,
        generator: torch.Generator | None,
        max_events: int,
    ) -> Iterator[Row]:
        """Decode up to `max_events` rows after `rows` (None: continue), as `Decoder.stream` does."""
        dec = self.decoder
        if rows is not None:
            self.prefill(rows)
        if not dec.rows:
            raise ValueError("decoding needs a context: prefill at least the BOS row first")
        done = 0
        while done < max_events and len(dec.rows) < dec.net.max_positions:
            depth = min(self.depth.next(), max_events - done, dec.net.max_positions - len(dec.rows))
            if dec.cache.length == len(dec.rows):
                depth = 0  # the first event: its state is there, decode it as the normal path does
            if depth == 0:
                row = self._normal(mask, sampling, generator)
                if row is None:
                    return
                done += 1
                mask = dec.advanced(mask, row, dec.last_beat)
                yield row
                continue
            batch = self._iteration(depth, mask, sampling, generator)
            for row, beat in batch.rows:
                seen = self._commit(batch, row, beat)
                done += 1
                mask = dec.advanced(mask, row, beat)
                yield row
                if seen != self._snapshot():
                    break  # the decoder was used between two yields: go on from its state
            else:
                if batch.ended:
                    return

    # ---- one iteration ---------------------------------------------------------------------------

    def _normal(self, mask: EventMask, sampling: Sampling, gen: torch.Generator | None) -> Row | None:
        row = self.decoder.step(mask, sampling, gen)
        if row is not None:
            self.stats.events += 1
            self.stats.normal += 1
        return row

    @torch.inference_mode()
    def _iteration(
        self, depth: int, mask: EventMask, sampling: Sampling, gen: torch.Generator | None
    ) -> _Batch:
        dec = self.decoder
        pending = dec.rows[dec.cache.length :]  # the last decoded event at least (see `stream`)
        proposals, masks = draft_rows(dec, self.draft, mask, depth, sampling, gen)
        base = dec.cache.length
        outputs = self._forward([*pending, *(dec.padded(p.tokens) for p in proposals[:-1])])
        rows, ended, kept = self._verify_all(
            proposals, list(outputs[len(pending) - 1 :]), masks, sampling, gen
        )
        return _Batch(rows, ended, base + len(pending) + min(kept, len(proposals) - 1), base, outputs)

    def _forward(self, rows: list[Row]) -> torch.Tensor:
        dec = self.decoder
        ids = torch.tensor(rows, dtype=torch.long, device=dec.device)
        self.stats.passes += 1
        self.stats.rows += len(rows)
        return dec.net.forward(dec.net.embed[ids].sum(dim=-2), dec.cache)

    def _commit(self, batch: _Batch, row: Row, beat: int) -> tuple[int, ...]:
        """Append a decoded row to the decoder; its cache then holds only rows of the sequence."""
        dec = self.decoder
        dec.rows.append(row)
        dec.beats.append(beat)
        dec.cache.length = min(batch.full, len(dec.rows))
        if dec.cache.length > batch.base:
            dec.hidden = batch.outputs[dec.cache.length - 1 - batch.base]
        self.stats.events += 1
        return self._snapshot()

    def _snapshot(self) -> tuple[int, ...]:
        dec = self.decoder
        return id(dec.rows), len(dec.rows), dec.cache.length, id(dec.cache.k)

    # ---- verification ----------------------------------------------------------------------------

    def _verify_all(
        self,
        proposals: list[Proposal],
        states: list[torch.Tensor],
        masks: list[EventMask],
        sampling: Sampling,
        gen: torch.Generator | None,
    ) -> tuple[list[tuple[Row, int]], bool, int]:
        """The decoded rows with their beats, whether the generation ended, rows kept whole."""
        dec = self.decoder
        rows: list[tuple[Row, int]] = []
        at = (dec.last_beat, dec.last_step)
        for prop, state, mask in zip(proposals, states, masks, strict=False):
            row, whole = self._verify(prop, state, mask, at, sampling, gen)
            if row is None:
                return rows, True, len(rows)
            beat, step = dec.place(row, at[0])
            if mask.ends(beat * TIME_STEPS + step):
                return rows, True, len(rows)
            rows.append((row, beat))
            if not whole:
                return rows, False, len(rows) - 1
            at = (beat, step)
        return rows, False, len(rows)

    def _verify(
        self,
        prop: Proposal,
        state: torch.Tensor,
        mask: EventMask,
        at: tuple[int, int],
        sampling: Sampling,
        gen: torch.Generator | None,
    ) -> tuple[Row | None, bool]:
        """The event decoded from `state` with `prop` drafted: (its row, None at the end; kept whole)."""
        dec = self.decoder
        dec.token_cache.length = 0
        states: torch.Tensor | None = None
        kept = 0
        for t, q in enumerate(prop.q):
            if q is None:
                continue
            if states is None:
                inputs = [state, *(dec.token_net.embed[x] for x in prop.tokens[:-1])]
                states = dec.token_net.forward(torch.stack(inputs), dec.token_cache)
            head = prop.heads[t]
            p = distribution(dec.heads[head][0](states[t : t + 1])[0], prop.allowed[t], sampling)
            self.draft.learn(head, prop.tokens[t - 1] if t else None, p)
            index = accept(p, q, prop.index[t], gen)
            self.stats.values += 1
            if index != prop.index[t]:
                self._verified(False, kept)
                return self._correct(prop, t, dec.heads[head][1][index], mask, at, sampling, gen), False
            kept += 1
            self.stats.kept += 1
        self._verified(True, kept)
        ends = not prop.whole or dec.event_length(prop.tokens[0]) == 1
        return (None if ends else dec.padded(prop.tokens)), True

    def _verified(self, whole: bool, kept: int) -> None:
        self.stats.verified += 1
        self.stats.accepted += whole
        self.depth.update(whole, kept)

    def _correct(
        self,
        prop: Proposal,
        t: int,
        token: int,
        mask: EventMask,
        at: tuple[int, int],
        sampling: Sampling,
        gen: torch.Generator | None,
    ) -> Row | None:
        """Finish the event from its token `t`, drawn in place of the drafted one."""
        dec = self.decoder
        if dec.event_length(prop.tokens[0] if t else token) == 1:
            return None  # EOS (or a non-event id) where the draft had an event
        dec.token_cache.length = t + 1  # the state and the inputs of the tokens before t
        return dec.finish_event([*prop.tokens[:t], token], [], mask, sampling, gen, at)


def _token_net_size(dec: Decoder) -> tuple[int, int]:
    """The token net's layers and the weights they read per pass."""
    net = dec.model.net_token
    return len(net.layers), sum(p.numel() for p in net.layers.parameters())
