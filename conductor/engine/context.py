"""Context: the listening window of a section turned into a `GenerationRequest`, and score conversion.

`build_request` takes the section's window of its sources from the memory (held notes included),
chooses the time origin (the bar line at or before the first context note), the output window
`[start, until]`, and the constraints (AI channel, program, the range of a range filter, the scale
of a key filter). `to_score` / `score_note_to_note` convert between notes on the logical clock and
SkyTNT's score format, one timebase for human and AI: tick 0 is `origin`.

All functions are pure; `build_request` only reads the memory. Realtime-safe: O(window) work.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from conductor.backends.base import Constraints, GenerationRequest
from conductor.core.events import Note, Source
from conductor.core.timebase import Span, Timebase, Unit
from conductor.engine.filters.keys import KeyEstimate, parse_key
from conductor.engine.memory import Memory, sort_notes
from conductor.piece.compiled import KeyFilter, Piece, RangeFilter, Section

DEFAULT_HORIZON = Span(2, Unit.BARS)
TURN_EVENTS_PER_BEAT = 4  # a trading answer may use four voices on every beat of its turn
_EPS = 1e-9


def bar_origin(t: float, tb: Timebase) -> float:
    """The bar line at or before `t` (0.0 for times before the first bar)."""
    bar = tb.seconds_per_bar
    return max(0.0, math.floor(t / bar + _EPS) * bar)


def output_seconds(section: Section, tb: Timebase) -> float:
    """How far ahead one generation may place notes: output.horizon, else output.span, else 2 bars."""
    span = section.output.horizon or section.output.span or DEFAULT_HORIZON
    return span.seconds(tb)


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
    key: KeyEstimate | None = None,
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


def constraints_for(piece: Piece, section: Section, key: KeyEstimate | None = None) -> Constraints:
    """AI channel and program from the routing; range and scale from the section's filters."""
    low, high = 0, 127
    pitch_classes: frozenset[int] | None = None
    for spec in section.filters:
        if isinstance(spec, RangeFilter):
            low, high = max(low, spec.low), min(high, spec.high)
        elif isinstance(spec, KeyFilter):
            fixed = parse_key(spec.key) if spec.key is not None else key
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


# ---------------------------------------------------------------- SkyTNT score format


def _ticks(seconds: float, tb: Timebase, tpb: int) -> int:
    return round(seconds / tb.seconds_per_beat * tpb)


def to_score(
    notes: Iterable[Note],
    origin: float,
    tb: Timebase,
    ticks_per_beat: int = 480,
    *,
    ai_channel: int | None = None,
) -> list[Any]:
    """Notes → SkyTNT score `[tpb, [['set_tempo', 0, us_per_beat], ['note', start, dur, ch, pitch, vel]...]]`.

    Ticks count from `origin`; notes starting before it are left out. End ticks are rounded, then
    durations taken, so back-to-back notes stay back to back. With `ai_channel`, AI notes go on that
    channel and human notes on it move to channel 0 (1 if the AI is on 0), so the model can tell
    them apart.
    """
    events: list[list[object]] = []
    for note in sort_notes(notes):
        if note.onset < origin - _EPS:
            continue
        start = _ticks(note.onset - origin, tb, ticks_per_beat)
        end = _ticks(note.end - origin, tb, ticks_per_beat)
        channel = _score_channel(note, ai_channel)
        events.append(["note", start, max(0, end - start), channel, note.pitch, note.velocity])
    events.sort(key=lambda e: (e[1], e[3], e[4]))
    tempo: list[object] = ["set_tempo", 0, round(tb.seconds_per_beat * 1_000_000)]
    return [ticks_per_beat, [tempo, *events]]


def _score_channel(note: Note, ai_channel: int | None) -> int:
    if ai_channel is None:
        return note.channel
    if note.source is Source.AI:
        return ai_channel
    if note.channel == ai_channel:
        return 1 if ai_channel == 0 else 0
    return note.channel


def score_note_to_note(
    event: Sequence[object],
    origin: float,
    tb: Timebase,
    ticks_per_beat: int,
    source: Source = Source.AI,
) -> Note:
    """A score event `['note', start_tick, dur_tick, channel, pitch, velocity]` → a Note on the clock.

    Velocity is clamped into 1..127 (a model's 0 becomes 1); a negative duration becomes 0.
    Raises ValueError for an event that is not a note or has a pitch/channel out of range.
    """
    if len(event) != 6 or event[0] != "note":
        raise ValueError(f"not a score note event: {event!r}")
    start, dur, channel, pitch, velocity = (int(x) for x in event[1:])  # type: ignore[call-overload]
    beat = tb.seconds_per_beat
    return Note(
        onset=origin + start / ticks_per_beat * beat,
        duration=max(0, dur) / ticks_per_beat * beat,
        pitch=pitch,
        velocity=min(127, max(1, velocity)),
        channel=channel,
        source=source,
    )
