"""ScriptedModel: the deterministic test model's patterns, limits and errors."""

from __future__ import annotations

import pytest

from conductor.backends.base import Constraints, GenerationRequest, ModelError
from conductor.backends.scripted import ScriptedModel
from conductor.core.events import Note, Source
from conductor.core.timebase import Timebase
from conductor.piece.compiled import ModelSpec

TB = Timebase(120)


def request(context: tuple[Note, ...] = (), events: int = 4, until: float = 10.0) -> GenerationRequest:
    constraints = Constraints(channels=frozenset({3}), low=62, high=80)
    return GenerationRequest(context, 0.0, 1.0, until, TB, events, constraints=constraints)


def test_arpeggio_folds_into_range_on_the_allowed_channel() -> None:
    notes = list(ScriptedModel().generate(request()))
    assert [(n.onset, n.pitch, n.velocity, n.channel) for n in notes] == [
        (1.0, 72, 60, 3),
        (1.25, 73, 65, 3),
        (1.5, 64, 70, 3),
        (1.75, 66, 75, 3),
    ]
    assert all(n.source is Source.AI and n.duration == 0.5 for n in notes)


def test_chords_echo_and_until() -> None:
    chords = list(ScriptedModel("chords").generate(request(events=5)))
    assert [(n.onset, n.pitch) for n in chords] == [(1.0, 72), (1.0, 64), (1.0, 67), (1.25, 62), (1.5, 65)]
    context = (Note(0.0, 0.5, 64, 90), Note(0.5, 0.5, 67, 80))
    echo = list(ScriptedModel("echo").generate(request(context, events=8, until=2.5)))
    assert [(n.onset, n.pitch, n.velocity) for n in echo] == [
        (1.0, 64, 90),
        (1.5, 67, 80),
        (2.0, 64, 90),
        (2.5, 67, 80),
    ]


def test_from_spec_and_failures() -> None:
    model = ScriptedModel.from_spec(ModelSpec(kind="scripted", config="fail:2"))
    gen = model.generate(request())
    assert [next(gen).pitch, next(gen).pitch] == [72, 73]
    with pytest.raises(RuntimeError, match="scripted failure after 2 notes"):
        next(gen)
    with pytest.raises(ModelError, match="unknown scripted pattern 'waltz'"):
        ScriptedModel.from_spec(ModelSpec(kind="scripted", config="waltz"))
    with pytest.raises(ModelError, match="expected NAME or fail:N"):
        ScriptedModel.from_spec(ModelSpec(kind="scripted", config="fail:x"))
