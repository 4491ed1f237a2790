"""Variable-order count tables with bounded memory.

For every order k = 0..order the table maps a context (the pitch content of the last k events) to
counts of the full events that followed it. Contexts are kept least-recently-used first: when an
order holds `max_contexts` contexts, learning a new one evicts the context unseen for longest, so an
hour of playing stays bounded while what the performer plays now is always there. Each context keeps
at most `max_candidates` continuations (the rarest is dropped).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

from conductor.backends.markov.events import EventKey, PitchKey, pitch_key

Context = tuple[PitchKey, ...]
Counts = dict[EventKey, float]

DEFAULT_MAX_CONTEXTS = 10_000  # per order
DEFAULT_MAX_CANDIDATES = 32
UNIGRAM_CANDIDATES = 512  # order 0 has one context; it may hold more continuations


class CountTable:
    """Counts of events after contexts of order 0..`order`. Not thread-safe."""

    def __init__(
        self,
        order: int,
        max_contexts: int = DEFAULT_MAX_CONTEXTS,
        max_candidates: int = DEFAULT_MAX_CANDIDATES,
    ) -> None:
        if order < 0:
            raise ValueError(f"order must be >= 0, got {order}")
        self.order = order
        self.max_contexts = max_contexts
        self.max_candidates = max_candidates
        self.events = 0  # events learnt (for stats)
        self._tables: list[OrderedDict[Context, Counts]] = [OrderedDict() for _ in range(order + 1)]

    def __len__(self) -> int:
        """Number of contexts held, over all orders."""
        return sum(len(t) for t in self._tables)

    @property
    def empty(self) -> bool:
        """True until something has been learnt."""
        return not self._tables[0]

    def learn(self, history: Sequence[EventKey], event: EventKey, weight: float = 1.0) -> None:
        """Count `event` after each suffix (order 0..order) of `history` (most recent last)."""
        depth = min(self.order, len(history))
        ctx_all = tuple(pitch_key(k) for k in history[len(history) - depth :])
        for k in range(depth + 1):
            self._bump(k, ctx_all[depth - k :], event, weight)
        self.events += 1

    def learn_sequence(self, keys: Sequence[EventKey], weight: float = 1.0) -> None:
        """Learn every event of a sequence after the events before it."""
        for i, key in enumerate(keys):
            self.learn(keys[max(0, i - self.order) : i], key, weight)

    def _bump(self, k: int, ctx: Context, event: EventKey, weight: float) -> None:
        table = self._tables[k]
        counts = table.get(ctx)
        if counts is None:
            counts = table[ctx] = {}
            if len(table) > self.max_contexts:
                table.popitem(last=False)
        else:
            table.move_to_end(ctx)
        counts[event] = counts.get(event, 0.0) + weight
        limit = UNIGRAM_CANDIDATES if k == 0 else self.max_candidates
        if len(counts) > limit:
            del counts[min(counts, key=lambda e: (counts[e], e))]

    def backoff(
        self, history: Sequence[EventKey], max_order: int | None = None
    ) -> Iterator[tuple[int, Counts]]:
        """(order, counts) for each seen suffix of `history`, highest order first, down to order 0."""
        top = self.order if max_order is None else min(self.order, max_order)
        depth = min(top, len(history))
        ctx_all = tuple(pitch_key(k) for k in history[len(history) - depth :])
        for k in range(depth, -1, -1):
            counts = self._tables[k].get(ctx_all[depth - k :])
            if counts:
                yield k, counts

    def to_json(self) -> dict[str, Any]:
        """A dict for `json.dumps` (tuples become lists; contexts in LRU order, so a load evicts alike)."""
        return {
            "order": self.order,
            "max_contexts": self.max_contexts,
            "max_candidates": self.max_candidates,
            "events": self.events,
            "tables": [[[ctx, list(counts.items())] for ctx, counts in t.items()] for t in self._tables],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CountTable:
        """The table `to_json` wrote. Raises KeyError/TypeError/ValueError on a malformed dict."""
        table = cls(int(data["order"]), int(data["max_contexts"]), int(data["max_candidates"]))
        table.events = int(data["events"])
        if len(data["tables"]) != table.order + 1:
            raise ValueError("one table per order 0..order expected")
        for k, rows in enumerate(data["tables"]):
            for ctx, cands in rows:
                context = tuple((int(s), tuple(int(x) for x in shape)) for s, shape in ctx)
                if len(context) != k:
                    raise ValueError(f"context of order {k} has {len(context)} events")
                table._tables[k][context] = {key_from_json(e): float(c) for e, c in cands}
        return table


def key_to_json(e: EventKey) -> list[Any]:
    """An event key as a JSON list."""
    return [e[0], list(e[1]), e[2], e[3], e[4]]


def key_from_json(e: Sequence[Any]) -> EventKey:
    """The event key `key_to_json` wrote."""
    step, shape, ioi, dur, vel = e
    return (int(step), tuple(int(x) for x in shape), int(ioi), int(dur), int(vel))
