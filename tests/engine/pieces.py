"""Compiled pieces built in code for engine tests (no YAML: the engine reads only compiled pieces)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from conductor.core.events import Source
from conductor.core.timebase import Span, Timebase, Unit
from conductor.piece.compiled import (
    ActionMapping,
    AtTurns,
    Every,
    ListenSpec,
    Mode,
    ModelSpec,
    OutputSpec,
    ParamMapping,
    Piece,
    RecordingSpec,
    RoutingSpec,
    Section,
    Then,
)

TB = Timebase(120, 4, 4)  # a beat is 0.5 s, a bar 2 s


def bars(n: float) -> Span:
    return Span(n, Unit.BARS)


def section(name: str, mode: Mode = Mode.DUET, **changes: Any) -> Section:
    """A section with test defaults: 4 bars long, answering every bar, scripted arpeggio model."""
    base = Section(
        name=name,
        index=0,
        mode=mode,
        length=bars(4),
        then=Then(),
        listen=ListenSpec(window=bars(2)),
        cadence=Every(every=bars(1)),
        output=OutputSpec(events=16, horizon=bars(1)),
        filters=(),
        model=ModelSpec(kind="scripted", config="arpeggio"),
        silent=mode is Mode.LISTEN,
    )
    return replace(base, **changes)


def trading(
    name: str = "fours", turn_bars: int = 1, length: float = 8, starts: Source = Source.HUMAN, **changes: Any
) -> Section:
    return section(
        name,
        Mode.TRADING,
        length=bars(length),
        cadence=AtTurns(turn_bars, starts),
        **changes,
    )


def piece(
    *sections: Section,
    changes_on: str = "bar",
    actions: tuple[ActionMapping, ...] = (),
    params: tuple[ParamMapping, ...] = (),
    ai_channel: int = 2,
) -> Piece:
    """A piece of `sections` (indices set) at 120 bpm 4/4."""
    indexed = tuple(replace(s, index=i) for i, s in enumerate(sections))
    return Piece(
        title="test",
        path=None,
        timebase=TB,
        model=ModelSpec(kind="scripted"),
        routing=RoutingSpec(ai_channel=ai_channel),
        actions=actions,
        params=params,
        recording=RecordingSpec(),
        sections=indexed,
        changes_on=changes_on,
    )
