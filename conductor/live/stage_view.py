"""The stage page's `StageView`, built on the engine thread of a live performance.

`ViewBuilder.build` reads the engine (its status, navigator, memory, the human's held notes, the
scheduler's sounding and pending notes, the live parameters), the clock thread's lateness figures and
what the loop knows (the rejected edit, the worker, the take) and returns a fresh frozen view. It
reuses the previous view's tuples wherever they are equal, so the web server, which compares fields
by identity first, re-encodes only what changed.

Engine thread only (it reads the engine's non-thread-safe parts); the scheduler and the sender's
figures it reads are thread-safe. Nothing here runs on the clock thread.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from conductor.core.events import Source
from conductor.core.timebase import Span, Unit
from conductor.engine.engine import Engine
from conductor.engine.plan import LiveParams
from conductor.engine.status import EngineStatus
from conductor.live.process_runner import WorkerHealth
from conductor.live.sender import Sender
from conductor.live.stage import worker_text
from conductor.piece.compiled import ParamMapping, Piece, Section
from conductor.piece.names import Param
from conductor.piece.osc import OscParamMapping
from conductor.stage.view import ParamRow, SectionRow, StageView, note_rows

ROLL_BARS = 4.0  # the piano roll's past: the last bars of both players
MAX_ROLL_NOTES = 512  # of each player, at most (the newest)
VIEW_EVERY_S = 0.04  # the loop builds a view 25 times a second while a page or OSC reads them
NEUTRAL = {Param.DENSITY: 1.0, Param.VELOCITY: 1.0}  # a filter parameter nobody has set: no change


@dataclass(frozen=True, slots=True)
class LoopFacts:
    """What the engine loop adds to the engine's own state."""

    health: WorkerHealth
    reload_error: str = ""
    take: str = ""
    notice: str = ""


def running_order(piece: Piece) -> tuple[SectionRow, ...]:
    """The piece's sections as the page lists them."""
    return tuple(
        SectionRow(s.name, s.mode.value, "footswitch" if s.length is None else str(s.length))
        for s in piece.sections
    )


def param_rows(piece: Piece, section: Section | None, live: LiveParams) -> tuple[ParamRow, ...]:
    """A slider per parameter the piece maps (MIDI or OSC; the first mapping's range), showing the
    value set live, else the section's own."""
    ranges: dict[Param, tuple[float, float]] = {}
    mappings: list[ParamMapping | OscParamMapping] = [*piece.params, *piece.osc.params]
    for mapping in mappings:
        ranges.setdefault(mapping.param, (mapping.low, mapping.high))
    rows = []
    for param, (low, high) in ranges.items():
        value = getattr(live, str(param))
        if value is None:
            value = _section_value(param, section)
        rows.append(ParamRow(str(param), min(max(low, high), max(min(low, high), value)), low, high))
    return tuple(rows)


def _section_value(param: Param, section: Section | None) -> float:
    if param in NEUTRAL or section is None:
        return NEUTRAL.get(param, 1.0)
    sampling = section.model.sampling
    return sampling.temperature if param is Param.TEMPERATURE else sampling.top_p


class ViewBuilder:
    """Builds the views of one performance (see the module docstring). Engine thread only."""

    def __init__(self, title: str, engine: Engine, sender: Sender) -> None:
        self.title, self.engine, self.sender = title, engine, sender
        self._last = StageView(title)
        self._order: tuple[Piece, tuple[SectionRow, ...]] | None = None

    def build(self, status: EngineStatus, facts: LoopFacts) -> StageView:
        """The view at `status.time`; unchanged parts are the previous view's own objects."""
        engine, now = self.engine, status.time
        tb = engine.piece.timebase
        since = now - Span(ROLL_BARS, Unit.BARS).seconds(tb)
        heard = self.sender.heard_lateness()
        view = StageView(
            title=self.title,
            running_order=self._running_order(engine.piece),
            current=None if engine.stopped else engine.nav.index,
            section=status.section or "(end)",
            next_section=status.next_section or "(end)",
            time_left_s=status.time_left,
            bars_left=status.bars_left,
            mode=status.mode or "-",
            key=status.key or "-",
            ai_state=status.ai_state,
            tempo=tb.bpm,
            meter=f"{tb.beats_per_bar}/{tb.beat_unit}",
            now=now,
            **self._notes(now, since),
            heard_p99_ms=heard.p99_ms if heard.count else None,
            heard_worst_ms=heard.max_ms if heard.count else None,
            late_notes=self.sender.late_notes.count,
            latency_ms=None if status.latency is None else status.latency * 1000.0,
            reload_error=facts.reload_error,
            params=param_rows(engine.piece, engine.section, engine.inputs.params),
            worker=worker_text(facts.health),
            take=facts.take,
            notice=facts.notice,
        )
        self._last = view = _reuse(self._last, view)
        return view

    def _notes(self, now: float, since: float) -> dict[str, Any]:
        engine = self.engine
        memory, scheduler = engine.memory, engine.scheduler
        tb = engine.piece.timebase
        span = Span(ROLL_BARS, Unit.BARS)
        held = engine.inputs.tracker.held(now)
        human = memory.window(now, span, (Source.HUMAN,), tb, MAX_ROLL_NOTES, held)
        ai = [*memory.window(now, span, (Source.AI,), tb, MAX_ROLL_NOTES), *scheduler.sounding()]
        return {
            "human": note_rows(human, since),
            "ai": note_rows(ai, since),
            "plan": note_rows(scheduler.pending()[:MAX_ROLL_NOTES], now),
        }

    def _running_order(self, piece: Piece) -> tuple[SectionRow, ...]:
        if self._order is None or self._order[0] is not piece:
            self._order = (piece, running_order(piece))
        return self._order[1]


def _reuse(old: StageView, new: StageView) -> StageView:
    """`new`, with each field that equals `old`'s taken from `old` (the same object)."""
    same = {}
    for f in fields(StageView):
        value = getattr(new, f.name)
        previous = getattr(old, f.name)
        if value is not previous and isinstance(value, tuple) and value == previous:
            same[f.name] = previous
    if not same:
        return new
    kept = {f.name: same.get(f.name, getattr(new, f.name)) for f in fields(StageView)}
    return StageView(**kept)
