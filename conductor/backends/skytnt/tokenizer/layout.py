"""The token id layout of SkyTNT's tokenizers and the conversion of one event to one token row.

A SkyTNT event is one row of `max_token_seq` ids: the event's own id, then one id per parameter in
the order the event lists them, then padding. Ids are handed out in definition order: pad, bos, eos,
one id per event name, then one contiguous range per parameter. A checkpoint's `config.json` stores
these tables with sorted keys, so the layout is rebuilt here from the definition order, never from
that file.

An *event* here is a plain list `[name, time1, time2, track, *params]` with the parameters in the
order of `events[name]`: the same list a token row spells, which keeps tokenize and detokenize
symmetric.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Event = list[Any]  # [name, time1, time2, track, *params], parameters in `events[name]` order


@dataclass(frozen=True)
class TokenFormat:
    """Everything that differs between tokenizer versions, as data.

    `events` and `parameters` are in definition order (that order decides every id).
    """

    version: str
    events: dict[str, list[str]]
    parameters: dict[str, int]
    sort_order: tuple[str, ...]  # event names in the order events at one instant are sorted
    bpm_cap: int  # largest bpm a tempo is clamped to
    timed_in_setup: frozenset[str]  # events that keep their time when gathered into the opening setup
    meta_on_track0: frozenset[str]  # events moved to track 0 when tracks and channels are remapped
    short_key_events: frozenset[str] = field(default_factory=frozenset)  # de-dup key drops 2 params

    def index(self, name: str, param: str) -> int:
        """Position of `param` in an event list of kind `name` (0 is the name itself)."""
        return 1 + self.events[name].index(param)


class TokenLayout:
    """Ids for every event and parameter value of one tokenizer format."""

    def __init__(self, fmt: TokenFormat) -> None:
        self.format = fmt
        self.version = fmt.version
        self.events: dict[str, list[str]] = {k: list(v) for k, v in fmt.events.items()}
        self.event_parameters: dict[str, int] = dict(fmt.parameters)
        next_id = 0

        def take(size: int) -> list[int]:
            nonlocal next_id
            ids = list(range(next_id, next_id + size))
            next_id += size
            return ids

        self.pad_id = take(1)[0]
        self.bos_id = take(1)[0]
        self.eos_id = take(1)[0]
        self.event_ids: dict[str, int] = {name: take(1)[0] for name in self.events}
        self.id_events: dict[int, str] = {i: name for name, i in self.event_ids.items()}
        self.parameter_ids: dict[str, list[int]] = {p: take(n) for p, n in self.event_parameters.items()}
        self.vocab_size = next_id
        self.max_token_seq = max(len(params) for params in self.events.values()) + 1

    def pad_row(self, row: list[int]) -> list[int]:
        """`row` followed by pad ids up to `max_token_seq`."""
        return row + [self.pad_id] * (self.max_token_seq - len(row))

    def bos_row(self) -> list[int]:
        """The row that opens every tokenized piece."""
        return self.pad_row([self.bos_id])

    def eos_row(self) -> list[int]:
        """The row that closes every tokenized piece."""
        return self.pad_row([self.eos_id])

    def in_range(self, event: Event) -> bool:
        """True when `event` names a known event and every parameter fits its range."""
        params = self.events.get(event[0]) if event else None
        if params is None or len(event) < len(params) + 1:
            return False
        return all(0 <= event[1 + i] < self.event_parameters[p] for i, p in enumerate(params))

    def event2tokens(self, event: Event) -> list[int]:
        """One padded token row for `event`, or `[]` when a parameter is out of its range.

        Out-of-range events (a time step of 128+ beats, a duration of 128+ beats, channel 16...)
        give no row at all, exactly as upstream: the caller then skips the event.
        """
        if not self.in_range(event):
            return []
        name = event[0]
        row = [self.event_ids[name]]
        row += [self.parameter_ids[p][event[1 + i]] for i, p in enumerate(self.events[name])]
        return self.pad_row(row)

    def tokens2event(self, tokens: list[int]) -> Event | None:
        """The event a token row spells, or None for bos/eos/pad rows and malformed rows."""
        name = self.id_events.get(tokens[0]) if tokens else None
        if name is None:
            return None
        params = self.events[name]
        if len(tokens) <= len(params):
            return None
        values = [tokens[1 + i] - self.parameter_ids[p][0] for i, p in enumerate(params)]
        event: Event = [name, *values]
        return event if self.in_range(event) else None

    def describe(self, token: int) -> str:
        """A short human name for one id: `note`, `pitch=60`, `<pad>`..."""
        specials = {self.pad_id: "<pad>", self.bos_id: "<bos>", self.eos_id: "<eos>"}
        if token in specials:
            return specials[token]
        if token in self.id_events:
            return self.id_events[token]
        for param, ids in self.parameter_ids.items():
            if ids[0] <= token <= ids[-1]:
                return f"{param}={token - ids[0]}"
        return f"?{token}"
