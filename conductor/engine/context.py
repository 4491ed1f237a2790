"""Context: the listening window of a section turned into a `GenerationRequest`.

`build_request` takes the section's window of its sources from the memory (held notes included),
chooses the time origin (the bar line at or before the first context note), the output window
`[start, until]`, and the constraints (AI channel, program, the range of a range filter, the scale
of a key filter).

All functions are pure; `build_request` only reads the memory. Realtime-safe: O(window) work.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from conductor.backends.base import Constraints, GenerationRequest
from conductor.core.events import Note, Source
from conductor.core.keys import Key
from conductor.core.timebase import Span, Timebase, Unit, bar_origin
from conductor.engine.memory import Memory
from conductor.piece.compiled import FixedKey, KeyFilter, Piece, RangeFilter, Section

TURN_EVENTS_PER_BEAT = 4  # a trading answer may use four voices on every beat of its turn
_EPS = 1e-9


def output_seconds(section: Section, tb: Timebase) -> float:
    """How far ahead one generation may place notes: the section's horizon."""
    return section.output.horizon.seconds(tb)


def turn_events(events: int, start: float, until: float, tb: Timebase) -> int:
    """The event budget of a trading answer: enough to fill the whole turn.

    A musician's answer lasts the turn; `output.events` (a count fitted to a phrase) runs out after
    a bar or two of four-part texture. So a turn may decode up to `TURN_EVENTS_PER_BEAT` events a
    beat (never fewer than `events`); the model still ends its answer at the turn's end.
    """
    beats = max(0.0, tb.beats(until - start))
    return max(events, math.ceil(beats * TURN_EVENTS_PER_BEAT - _EPS))


def build_request(
    piece: Piece,
    section: Section,
    memory: Memory,
    now: float,
    generation: int,
    *,
    held: Iterable[Note] = (),
    until: float | None = None,
    key: Key | None = None,
) -> GenerationRequest:
    """The request for one generation triggered at `now` in `section`.

    `held`: notes still sounding (from the trackers), `until`: the end of the output window (an AI
    turn's end; default now + the output horizon), `key`: the detected key, used for the pitch-class
    constraint when the section has a key filter without a fixed key.
    """
    tb = piece.timebase
    listen = section.listen
    held = tuple(held)
    context = memory.window(now, listen.window, listen.sources, tb, listen.max_events, held=held)
    origin = bar_origin(context[0].onset if context else now, tb)
    return GenerationRequest(
        context=context,
        origin=origin,
        start=now,
        until=until if until is not None else now + output_seconds(section, tb),
        timebase=tb,
        max_events=section.output.events,
        sampling=section.model.sampling,
        constraints=constraints_for(piece, section, key),
        markov=section.model.markov,
        human_density=human_density(memory, now, listen.window, tb, held, context),
        generation=generation,
    )


def constraints_for(piece: Piece, section: Section, key: Key | None = None) -> Constraints:
    """AI channel and program from the routing; range and scale from the section's filters."""
    low, high = 0, 127
    pitch_classes: frozenset[int] | None = None
    for spec in section.filters:
        if isinstance(spec, RangeFilter):
            low, high = max(low, spec.low), min(high, spec.high)
        elif isinstance(spec, KeyFilter):
            fixed = spec.key.key if isinstance(spec.key, FixedKey) else key
            if fixed is not None:
                pitch_classes = fixed.pitch_classes
    return Constraints(
        channels=frozenset({piece.routing.ai_channel}),
        program=piece.routing.program,
        low=low,
        high=high,
        pitch_classes=pitch_classes,
    )


def human_density(
    memory: Memory, now: float, window: Span, tb: Timebase, held: Sequence[Note], context: Sequence[Note]
) -> float:
    """The human's notes per second over the listening window (held notes included).

    A window counted in notes is measured over the time its context covers (at least one beat).
    """
    if window.unit is Unit.NOTES:
        first = context[0].onset if context else now
        seconds = max(now - first, tb.seconds_per_beat)
    else:
        seconds = window.seconds(tb)
    if seconds <= 0:
        return 0.0
    held_count = sum(1 for n in held if n.source is Source.HUMAN and now - seconds - _EPS <= n.onset <= now)
    return memory.density(now, seconds, Source.HUMAN) + held_count / seconds
