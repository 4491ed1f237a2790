"""Context: requests built from the memory."""

from __future__ import annotations

import pytest

from conductor.backends.base import Constraints, GenerationRequest
from conductor.core.events import Note, Source
from conductor.core.keys import make_key, parse_key
from conductor.core.timebase import Span, Timebase, Unit
from conductor.engine.context import build_request
from conductor.engine.memory import Memory
from conductor.piece.compiled import (
    Every,
    Filter,
    FixedKey,
    KeyFilter,
    ListenSpec,
    MarkovSpec,
    Mode,
    ModelSpec,
    OutputSpec,
    Piece,
    RangeFilter,
    RecordingSpec,
    RoutingSpec,
    SamplingSpec,
    Section,
    Then,
    VelocityFilter,
)

TB = Timebase(bpm=120)  # 0.5 s a beat, 2 s a bar
H, A = Source.HUMAN, Source.AI


def section(
    filters: tuple[Filter, ...] = (),
    listen: ListenSpec | None = None,
    output: OutputSpec | None = None,
) -> Section:
    return Section(
        name="s",
        index=0,
        mode=Mode.DUET,
        length=None,
        then=Then(),
        listen=listen or ListenSpec(sources=frozenset({H, A}), window=Span(1, Unit.BARS), max_events=8),
        cadence=Every(),
        output=output or OutputSpec(events=12),
        filters=filters,
        model=ModelSpec(sampling=SamplingSpec(temperature=0.9, seed=3), markov=MarkovSpec(order=2)),
        silent=False,
    )


def piece(sec: Section) -> Piece:
    return Piece(
        title="t",
        path=None,
        timebase=TB,
        model=ModelSpec(),
        routing=RoutingSpec(ai_channel=2, program=5),
        actions=(),
        params=(),
        recording=RecordingSpec(),
        sections=(sec,),
    )


def memory() -> Memory:
    mem = Memory()
    mem.extend(
        [
            Note(1.0, 0.5, 60, 90),
            Note(2.5, 0.5, 62, 80),
            Note(3.0, 0.25, 67, 70, 2, A),
            Note(3.5, 0.5, 64, 100),
        ]
    )
    return mem


def test_request_from_window_with_held_notes() -> None:
    sec = section()
    held = (Note(3.75, 0.25, 48, 50),)
    request = build_request(piece(sec), sec, memory(), 4.0, 7, held=held)
    assert request == GenerationRequest(
        context=(
            Note(2.5, 0.5, 62, 80),
            Note(3.0, 0.25, 67, 70, 2, A),
            Note(3.5, 0.5, 64, 100),
            Note(3.75, 0.25, 48, 50),
        ),
        origin=2.0,
        start=4.0,
        until=8.0,
        timebase=TB,
        max_events=12,
        sampling=SamplingSpec(temperature=0.9, seed=3),
        constraints=Constraints(channels=frozenset({2}), program=5),
        markov=MarkovSpec(order=2),
        human_density=1.5,  # 62, 64 and the held 48 over 2 s
        generation=7,
    )


def test_until_from_horizon_span_or_argument() -> None:
    sec = section(output=OutputSpec(events=4, horizon=Span(3, Unit.BEATS)))
    assert build_request(piece(sec), sec, memory(), 4.0, 0).until == 5.5
    sec = section(output=OutputSpec(events=4, horizon=Span(1, Unit.SECONDS)))
    assert build_request(piece(sec), sec, memory(), 4.0, 0).until == 5.0
    assert build_request(piece(sec), sec, memory(), 4.0, 0, until=6.0).until == 6.0


def test_empty_window_takes_the_bar_of_now() -> None:
    sec = section(listen=ListenSpec(sources=frozenset({H}), window=Span(1, Unit.SECONDS)))
    request = build_request(piece(sec), sec, Memory(), 5.5, 0)
    assert (request.context, request.origin, request.start, request.human_density) == ((), 4.0, 5.5, 0.0)


def test_notes_window_and_its_density() -> None:
    sec = section(listen=ListenSpec(sources=frozenset({H}), window=Span(2, Unit.NOTES)))
    request = build_request(piece(sec), sec, memory(), 4.0, 0)
    assert request.context == (Note(2.5, 0.5, 62, 80), Note(3.5, 0.5, 64, 100))
    assert request.origin == 2.0
    assert request.human_density == pytest.approx(2 / 1.5)


def test_constraints_from_range_and_key_filters() -> None:
    filters: tuple[Filter, ...] = (
        RangeFilter(48, 84),
        KeyFilter(FixedKey(parse_key("D minor"))),
        RangeFilter(50, 90),
    )
    sec = section(filters=filters)
    assert build_request(piece(sec), sec, memory(), 4.0, 0).constraints == Constraints(
        channels=frozenset({2}), program=5, low=50, high=84, pitch_classes=frozenset({2, 4, 5, 7, 9, 10, 0})
    )
    sec = section(filters=(KeyFilter(), VelocityFilter()))
    detected = make_key(7, "major")
    got = build_request(piece(sec), sec, memory(), 4.0, 0, key=detected).constraints
    assert got.pitch_classes == frozenset({7, 9, 11, 0, 2, 4, 6})
    assert build_request(piece(sec), sec, memory(), 4.0, 0).constraints.pitch_classes is None
    sec = section()  # a detected key without a key filter constrains nothing
    assert build_request(piece(sec), sec, memory(), 4.0, 0, key=detected).constraints.pitch_classes is None
