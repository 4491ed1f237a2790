"""Fast streaming generation with a reusable KV cache.

A `Decoder` keeps the token rows its event-net cache holds. `prefill(rows)` computes only the rows
after the longest common prefix with what is cached, so a context that extends the previous one (the
human kept playing) costs only its new events, and rows prefilled while they were heard make a
trigger pure decoding. `stream(...)` yields one decoded event row at a time and does no work after a
`yield`, so closing the iterator cancels between events; the decoded rows stay in the sequence.

Per event: one event-net step, then the token net. Values a mask forces (event type `note`, a single
allowed channel) are not sampled: they are fed with the next sampled step's input, so a note costs
one token-net pass per sampled value, and each pass multiplies only the `lm_head` rows of the
parameter being decoded. `bias` (None by default) adds logits to a head's values while an
answer is decoded (`answerbias.py`); the speculative path does not read it, so a biased generation
decodes on this plain path. Not thread-safe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch

from conductor.backends.skytnt.masks import TIME_STEPS, EventMask
from conductor.backends.skytnt.model import MIDIModel
from conductor.backends.skytnt.runtime import DTYPES, FastNet, KVCache, Linear, check_device, make_linear
from conductor.backends.skytnt.sampling import Sampling, sample
from conductor.backends.skytnt.tokenizer import get_tokenizer

Row = tuple[int, ...]
# (head, the event's tokens so far, (beat, 16th) of the previous event) → logits added to the head
Bias = Callable[[str, Sequence[int], tuple[int, int]], torch.Tensor | None]
PREFILL_CHUNK = 512


def common_prefix(a: Sequence[Row], b: Sequence[Row]) -> int:
    """Number of leading rows `a` and `b` share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class Decoder:
    """A model prepared for live decoding (dtype, device, fused weights, caches).

    Takes ownership of `model`: it is moved and cast in place and its linear weights become views
    into fused tensors (pass a copy to keep the original).
    """

    def __init__(self, model: MIDIModel, dtype: str = "float32", device: str = "cpu") -> None:
        check_device(dtype, device)
        self.model = model.to(device=device, dtype=DTYPES[dtype]).eval()
        self.dtype = dtype
        self.tokenizer: Any = get_tokenizer(model.config.tokenizer)
        self.device = torch.device(device)
        with torch.inference_mode():
            self.net = FastNet(model.net, dtype)
            self.token_net = FastNet(model.net_token, dtype)
            self.heads = self._heads(dtype)
        self.cache = KVCache(self.net)
        self.token_cache = KVCache(self.token_net, self.tokenizer.max_token_seq + 1)
        self.rows: list[Row] = []
        self.kept = 0  # rows the last prefill kept from before
        self.beats: list[int] = []  # cumulative beat after each row
        self.hidden: torch.Tensor | None = None  # event-net output at row cache.length - 1
        self._time1_base = self.tokenizer.parameter_ids["time1"][0]
        self.bias: Bias | None = None  # set for one generation by its caller (answers)
        self._time2_base = self.tokenizer.parameter_ids["time2"][0]

    def _heads(self, mode: str) -> dict[str, tuple[Linear, list[int]]]:
        weight = self.model.lm_head.weight.data
        tok = self.tokenizer
        groups: dict[str, list[int]] = {p: list(ids) for p, ids in tok.parameter_ids.items()}
        groups["<event>"] = [tok.eos_id, *tok.event_ids.values()]
        heads = {}
        for name, ids in groups.items():
            index = torch.tensor(ids, device=weight.device)
            heads[name] = (make_linear(weight.index_select(0, index).contiguous(), None, mode), ids)
        return heads

    # ---- context -------------------------------------------------------------------------------

    @torch.inference_mode()
    def prefill(self, rows: Sequence[Sequence[int]], pause: Callable[[], bool] | None = None) -> int:
        """Make the cache hold `rows`; returns how many rows were computed. With `pause`, asked after
        every layer, it stops as soon as `pause()` is true: `rows` are the sequence all the same, the
        cache holding those computed (the next prefill or step computes the rest)."""
        new = [tuple(r) for r in rows]
        if not new:
            raise ValueError("prefill needs at least one row (the BOS row)")
        cached = self.rows[: self.cache.length]
        keep = common_prefix(cached, new)
        if keep == len(cached) == len(new) and self.hidden is not None:
            self.rows, self.kept = new, keep
            return 0
        keep = self.kept = min(keep, len(new) - 1)
        if keep < self.cache.length:
            self.cache.length, self.hidden = keep, None  # the output at the last row kept is unknown
        self.rows, self.beats = new, self._beats(new, keep)
        for start in range(keep, len(new), PREFILL_CHUNK):
            ids = torch.tensor(new[start : start + PREFILL_CHUNK], dtype=torch.long, device=self.device)
            for out in self.net.steps(self.net.embed[ids].sum(dim=-2), self.cache):
                if out is not None:
                    self.hidden = out[-1]
                elif pause is not None and pause():
                    return start - keep
        return len(new) - keep

    def _beats(self, rows: list[Row], keep: int) -> list[int]:
        beats = self.beats[:keep]
        beat = beats[-1] if beats else 0
        for row in rows[keep:]:
            if row[0] in self.tokenizer.id_events:
                beat += row[1] - self._time1_base
            beats.append(beat)
        return beats

    def _forward_rows(self, rows: Sequence[Row]) -> None:
        ids = torch.tensor(rows, dtype=torch.long, device=self.device)
        x = self.net.embed[ids].sum(dim=-2)
        self.hidden = self.net.forward(x, self.cache)[-1]

    def adopt(
        self, cache: KVCache, rows: list[Row], hidden: torch.Tensor
    ) -> tuple[KVCache, list[Row], torch.Tensor | None]:
        """Take `cache`, holding `rows` (`hidden`: the output at the last), as the context (`rebuild.py`
        filled it); returns the cache, rows and output it replaces."""
        old = (self.cache, self.rows, self.hidden)
        self.cache, self.rows, self.hidden = cache, list(rows), hidden
        self.beats = self._beats(self.rows, 0)
        return old

    def rewind(self, length: int, hidden: torch.Tensor) -> None:
        """Continue from the first `length` rows (cached; `hidden`: the output at the last of them)."""
        assert length <= self.cache.length
        del self.rows[length:], self.beats[length:]
        self.cache.length, self.hidden = length, hidden

    def reset(self) -> None:
        """Forget the cached context."""
        self.cache.length = 0
        self.rows, self.beats, self.hidden = [], [], None

    @property
    def last_beat(self) -> int:
        """The beat of the last row in the sequence (0 before any event)."""
        return self.beats[-1] if self.beats else 0

    # ---- decoding ------------------------------------------------------------------------------

    def stream(
        self,
        rows: Sequence[Sequence[int]] | None,
        mask: EventMask,
        sampling: Sampling,
        generator: torch.Generator | None,
        max_events: int,
    ) -> Iterator[Row]:
        """Decode up to `max_events` rows after `rows` (None: continue the current sequence).

        The first event is placed inside the mask's onset window; later ones may go past its end,
        which ends the generation (the model's music has left the window: nothing piles up at its
        last 16th). After each event the mask advances (`advanced`: the roles follow what was played)."""
        if rows is not None:
            self.prefill(rows)
        for _ in range(max_events):
            row = self.step(mask, sampling, generator)
            if row is None:
                return
            mask = self.advanced(mask, row, self.last_beat)
            yield row

    def advanced(self, mask: EventMask, row: Sequence[int], beat: int) -> EventMask:
        """The mask for the event after `row`, decoded at `beat` (`EventMask.after`)."""
        values = self.values(row)
        if "pitch" not in values:
            return mask.opened()
        onset = beat * TIME_STEPS + values.get("time2", 0)
        return mask.after(onset, values["pitch"], values.get("duration", 0))

    def values(self, row: Sequence[int]) -> dict[str, int]:
        """The parameter values of event `row` (its type first), as many as it holds."""
        tok = self.tokenizer
        if not row or row[0] not in tok.id_events:
            return {}
        params = tok.events[tok.id_events[row[0]]]
        return {p: int(t - tok.parameter_ids[p][0]) for p, t in zip(params, row[1:], strict=False)}

    @torch.inference_mode()
    def step(self, mask: EventMask, sampling: Sampling, generator: torch.Generator | None) -> Row | None:
        """Decode one event row and append it to the sequence (None: EOS, nothing allowed, an onset
        past the mask's window — not appended — or the model's maximum length reached)."""
        if not self.rows:
            raise ValueError("decoding needs a context: prefill at least the BOS row first")
        if len(self.rows) >= self.net.max_positions:
            return None
        if self.cache.length < len(self.rows):
            self._forward_rows(self.rows[self.cache.length :])
        assert self.hidden is not None
        row = self._decode(self.hidden, mask, sampling, generator)
        if row is None:
            return None
        beat, sixteenth = self.place(row, self.last_beat)
        if mask.ends(beat * TIME_STEPS + sixteenth):
            return None  # the model went past the onset window: this generation is complete
        self.rows.append(row)
        self.beats.append(beat)
        return row

    @property
    def last_step(self) -> int:
        """The 16th within its beat of the last event in the sequence (0 for the BOS row)."""
        last = self.rows[-1] if self.rows else None
        if last is None or last[0] not in self.tokenizer.id_events:
            return 0
        return self.place(last, 0)[1]

    def place(self, row: Sequence[int], beat: int) -> tuple[int, int]:
        """The beat of event `row` decoded after a row at `beat`, and its 16th within that beat."""
        return beat + row[1] - self._time1_base, int(row[2] - self._time2_base)

    def event_allowed(self, mask: EventMask) -> torch.Tensor:
        """The `<event>` head's mask: the event types `mask` allows, and EOS where it allows that."""
        tok = self.tokenizer
        allowed = {tok.event_ids[e] for e in mask.events} | ({tok.eos_id} if mask.allow_eos else set())
        return torch.tensor([i in allowed for i in self.heads["<event>"][1]])

    def _decode(
        self, hidden: torch.Tensor, mask: EventMask, sampling: Sampling, gen: torch.Generator | None
    ) -> Row | None:
        self.token_cache.length = 0
        pending = [hidden]
        first = self._choose("<event>", pending, self.event_allowed(mask), sampling, gen)
        if first is None or first == self.tokenizer.eos_id:
            return None
        at = (self.last_beat, self.last_step)
        return self.finish_event([first], pending, mask, sampling, gen, at)

    def finish_event(
        self,
        row: list[int],
        pending: list[torch.Tensor],
        mask: EventMask,
        sampling: Sampling,
        gen: torch.Generator | None,
        at: tuple[int, int],
    ) -> Row | None:
        """Decode the rest of the event whose first tokens are `row` (its type first), the previous
        event lying at `at` (its beat, its 16th). The token cache holds every input before `pending`;
        the last token of `row` is fed here. None: a parameter with no allowed value."""
        pending.append(self.token_net.embed[row[-1]])
        while len(row) < self.event_length(row[0]):
            head, allowed = self.token_mask(row, mask, at)
            bias = self.bias(head, row, at) if self.bias is not None else None
            token = self._choose(head, pending, allowed, sampling, gen, bias)
            if token is None:
                return None
            row.append(token)
            pending.append(self.token_net.embed[token])
        return self.padded(row)

    def token_mask(
        self, prefix: Sequence[int], mask: EventMask, at: tuple[int, int]
    ) -> tuple[str, torch.Tensor | None]:
        """The head and the allowed values (None: any) of the token after `prefix`, the first tokens
        of an event (empty: its type) after an event at `at` (its beat, its 16th)."""
        if not prefix:
            return "<event>", self.event_allowed(mask)
        tok = self.tokenizer
        param = tok.events[tok.id_events[prefix[0]]][len(prefix) - 1]
        return param, mask.allowed_for(param, self.values(prefix), at, tok.event_parameters[param])

    def event_length(self, first: int) -> int:
        """Tokens in an event whose type token is `first` (1 for EOS or any non-event id)."""
        tok = self.tokenizer
        return 1 + len(tok.events[tok.id_events[first]]) if first in tok.id_events else 1

    def padded(self, row: Sequence[int]) -> Row:
        """`row` padded to the tokenizer's row length."""
        tok = self.tokenizer
        return tuple(row) + (tok.pad_id,) * (tok.max_token_seq - len(row))

    def _choose(
        self,
        head: str,
        pending: list[torch.Tensor],
        allowed: torch.Tensor | None,
        sampling: Sampling,
        gen: torch.Generator | None,
        bias: torch.Tensor | None = None,
    ) -> int | None:
        """The next token id; runs the token net only when the mask leaves a choice.

        Consumes `pending` (the inputs not yet fed) when it runs the net. `bias` is added to the
        head's logits (one value per id of the head).
        """
        linear, ids = self.heads[head]
        if allowed is not None:
            allowed = allowed.to(self.device)
            count = int(allowed.sum())
            if count == 0:
                return None
            if count == 1:
                return ids[int(allowed.nonzero()[0, 0])]
        out = self.token_net.forward(torch.stack(pending), self.token_cache)[-1:]
        pending.clear()
        logits = linear(out)[0]
        return ids[sample(logits if bias is None else logits + bias.to(logits), allowed, sampling, gen)]
