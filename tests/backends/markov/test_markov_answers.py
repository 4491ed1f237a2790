"""The answer strategy in the Markov sampler: which candidates the bias weights, and that it follows
the answer's own line as it streams."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from markov_helpers import TB, melody, request

from conductor.backends.answers import STRENGTH
from conductor.backends.markov.events import IOI_BEATS, cluster, encode_all
from conductor.backends.markov.generate import Sampler, plan
from conductor.backends.markov.table import CountTable
from conductor.core.events import Note

TURN = melody([60, 62, 64, 65, 67], ioi=0.25)  # +2 +2 +1 +2 in eighths (8 steps)
EIGHTH, QUARTER = IOI_BEATS.index(0.5), IOI_BEATS.index(1.0)


def sampler(answer: str) -> Sampler:
    req = replace(request(TURN, start=4.0), answer=answer, turn=tuple(TURN))
    p = plan(req, 2)
    assert p is not None
    return Sampler([(CountTable(2), 1.0)], req, p)


def test_develop_weights_the_continuing_pitch_and_rhythm_cell() -> None:
    s = sampler("develop")
    assert s.bias is not None
    s.bias.played(70, 64)
    s.bias.played(72, 72)  # +2 after an eighth
    s._favour = (s.bias.pitches(), s.bias.iois())
    boost = math.exp(STRENGTH)
    assert s._answer_weight((2, (), EIGHTH, 3, 5), (74,)) == pytest.approx(boost**2)  # +2, an eighth
    assert s._answer_weight((1, (), QUARTER, 3, 5), (73,)) == pytest.approx(boost)  # +1 only
    assert s._answer_weight((5, (), QUARTER, 3, 5), (77, 70)) == 1.0


def test_free_leaves_the_counts_alone_and_develop_follows_the_stream() -> None:
    assert sampler("free").bias is None
    s = sampler("develop")
    s.tables = [(table_of(TURN), 1.0)]
    notes = list(s.notes(np.random.default_rng(0)))
    assert notes and s.bias is not None
    onsets = sorted({n.onset for n in notes})
    assert s.bias.line == [max(n.pitch for n in notes if n.onset == t) for t in onsets]


def table_of(notes: list[Note]) -> CountTable:
    table = CountTable(2)
    table.learn_sequence(encode_all(cluster(notes), TB))
    return table
