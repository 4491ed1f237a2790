"""Count tables: exact counts, back-off order, bounded memory, JSON round trip."""

from __future__ import annotations

import json

import pytest

from conductor.backends.markov.events import EventKey
from conductor.backends.markov.table import CountTable


def k(step: int, ioi: int = 6) -> EventKey:
    return (step, (), ioi, 5, 4)


def test_learn_sequence_counts_every_order() -> None:
    table = CountTable(order=2)
    table.learn_sequence([k(2), k(2), k(-4), k(2), k(2)])
    assert list(table.backoff([k(-4), k(2)])) == [
        (2, {k(2): 1.0}),
        (1, {k(2): 2.0, k(-4): 1.0}),
        (0, {k(2): 4.0, k(-4): 1.0}),
    ]


def test_contexts_match_on_pitch_content_only() -> None:
    table = CountTable(order=1)
    table.learn_sequence([k(2, ioi=3), k(5)])
    assert next(table.backoff([k(2, ioi=9)])) == (1, {k(5): 1.0})


def test_unseen_context_backs_off_to_the_unigram() -> None:
    table = CountTable(order=3)
    table.learn_sequence([k(2), k(2), k(-4)])
    assert [order for order, _ in table.backoff([k(7), k(7), k(7)])] == [0]


def test_max_order_limits_the_context_used() -> None:
    table = CountTable(order=2)
    table.learn_sequence([k(1), k(2), k(3)])
    assert [order for order, _ in table.backoff([k(1), k(2)], max_order=1)] == [1, 0]


def test_least_recently_used_contexts_are_evicted() -> None:
    table = CountTable(order=1, max_contexts=2)
    table.learn_sequence([k(1), k(2), k(3), k(4)])  # order-1 contexts (1), (2), (3): (1) is evicted
    assert [order for order, _ in table.backoff([k(1)])] == [0]
    assert next(table.backoff([k(3)])) == (1, {k(4): 1.0})
    assert len(table) == 3  # two order-1 contexts and the unigram


def test_rarest_candidate_is_dropped_beyond_the_cap() -> None:
    table = CountTable(order=1, max_candidates=2)
    for nxt in (k(5), k(5), k(6), k(7)):
        table.learn([k(0)], nxt)
    assert next(table.backoff([k(0)])) == (1, {k(5): 2.0, k(7): 1.0})


def test_json_round_trip_is_exact() -> None:
    table = CountTable(order=2, max_contexts=50)
    table.learn_sequence([k(2), (3, (-4, -7), 1, 2, 3), k(-1), k(2)])
    data = json.loads(json.dumps(table.to_json()))
    again = CountTable.from_json(data)
    assert again.to_json() == table.to_json()
    assert list(again.backoff([k(2), (3, (-4, -7), 1, 2, 3)])) == list(
        table.backoff([k(2), (3, (-4, -7), 1, 2, 3)])
    )


def test_negative_order_is_rejected() -> None:
    with pytest.raises(ValueError, match="order must be >= 0"):
        CountTable(order=-1)
