"""Plan one generation: a fully resolved section and what was heard → the request and the filters.

`plan_generation` is the one place a generation is decided: the listening window taken from the
memory (held notes included), the time origin (the bar line at or before the first context note),
the output window (the trigger's), the event budget (a trading turn may decode more), the sampling
(the section's, live temperature and top_p on top, a seed per generation), the constraints (AI
channel, program, a range filter's range, the key, and the decode-time roles the section's mode and
filters ask for: chord sizes, voicing and the chord tones of the harmony the human implied over the
last bar, a single line, the group cap, a note budget, the longest run of one pitch: the human's + 2)
and the filter chain with its context: the section's filters, then the live density and velocity as
the same density and velocity stages. The
key decision lives here too: `wants_detected_key` tells the engine when to ask its `KeyTracker`; the
key so found goes into the constraints (the model samples in it) and the key filter (snap/drop) alike.
What the answer is made of comes from `turn_context`: in trading and duet the context ends at the
turn boundary; the request carries the section's mode (a role model's role), the human's key (its
frame), the answer strategy and the turn just heard.

Pure: it only reads the memory. O(window) work, on the engine thread.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from conductor.backends.base import Constraints, GenerationRequest
from conductor.backends.shaping import run_limit
from conductor.core.beats import BeatGrid
from conductor.core.events import Note, Source
from conductor.core.harmony import Chord, chord_of
from conductor.core.keys import Key
from conductor.core.seeds import derive_seed
from conductor.core.timebase import Span, Timebase, Unit, bar_origin
from conductor.engine.cadence import Trigger
from conductor.engine.filters import FilterChain, FilterContext
from conductor.engine.memory import Memory
from conductor.engine.take_events import GenerationStarted
from conductor.engine.turn_context import human_key, listening, turn_heard
from conductor.piece.compiled import (
    ChordsFilter,
    DensityFilter,
    DetectKey,
    Filter,
    FixedKey,
    KeyFilter,
    MelodyFilter,
    ModelSpec,
    Piece,
    RangeFilter,
    SamplingSpec,
    Section,
    VelocityFilter,
)
from conductor.piece.names import Param

TURN_EVENTS_PER_BEAT = 4  # a trading answer may use four voices on every beat of its turn
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Frame:
    """What every section of a piece plays within: the timebase, the AI's channel and program, and the
    engine's seed (`--seed`)."""

    timebase: Timebase
    ai_channel: int
    program: int | None
    seed: int

    @classmethod
    def of(cls, piece: Piece, seed: int) -> Frame:
        """The frame of `piece` played with `seed`."""
        routing = piece.routing
        return cls(piece.timebase, routing.ai_channel, routing.program, seed)


@dataclass(frozen=True, slots=True)
class Heard:
    """What the engine has heard by `now`: its memory, and the notes still held (from the tracker)."""

    memory: Memory
    held: tuple[Note, ...]
    now: float


@dataclass(frozen=True, slots=True)
class LiveParams:
    """The live parameters pedals and knobs have set so far (None: not set; the section's own)."""

    temperature: float | None = None
    top_p: float | None = None
    density: float | None = None  # keep probability of each note
    velocity: float | None = None  # velocity scale

    def with_(self, param: Param, value: float) -> LiveParams:
        """These params with `param` set to `value`."""
        return replace(self, **{str(param): value})


@dataclass(frozen=True, slots=True)
class GenerationPlan:
    """One generation, decided: what to ask which model, and how to filter what streams back.

    `key` is the detected key it plays in (None: a fixed key, or no key filter).
    """

    request: GenerationRequest
    model: ModelSpec
    filters: tuple[Filter, ...]
    filtering: FilterContext
    key: Key | None

    def chain(self) -> FilterChain:
        """A fresh filter chain for this generation."""
        return FilterChain(self.filters, self.filtering)

    def started(self, trigger: Trigger, section: str) -> GenerationStarted:
        """The take event of this generation's start (every parameter that shapes it)."""
        request, s = self.request, self.request.sampling
        return GenerationStarted(
            request.generation, section, trigger.reason, trigger.start, trigger.until, s.temperature,
            s.top_p, s.top_k, s.seed, self.key.name if self.key else None, len(request.context),
            request.max_events,
        )  # fmt: skip


def wants_detected_key(section: Section) -> bool:
    """Does `section` play in the detected key (a key filter without a fixed key)?"""
    return any(isinstance(f, KeyFilter) and isinstance(f.key, DetectKey) for f in section.filters)


def plan_generation(
    section: Section,
    frame: Frame,
    heard: Heard,
    key: Key | None,
    params: LiveParams,
    trigger: Trigger,
    generation: int,
    beats: BeatGrid | None = None,
) -> GenerationPlan:
    """Generation number `generation` of `section`, triggered by `trigger` after hearing `heard`;
    `key` is the key tracker's (a constraint only if the section wants a detected key; the frame
    of a role model's context whenever the section names no key); `beats` the grid its notes go on
    last (the human's tracked beat with the section's feel; None: the piece's)."""
    tracked, key = key, key if wants_detected_key(section) else None
    request = _request(section, frame, heard, key, trigger, generation)
    sampling = _sampling(section.model.sampling, params, frame.seed, generation)
    request = replace(request, sampling=sampling, key=human_key(section, tracked))
    filtering = FilterContext.from_request(
        request, derive_seed(frame.seed, generation), key=key, clip=trigger.clip, beats=beats
    )
    filters = section.filters + live_filters(params)
    return GenerationPlan(request, section.model, filters, filtering, key)


def live_filters(params: LiveParams) -> tuple[Filter, ...]:
    """The live params as filters after the section's own: `density` a keep probability (drawn from
    the generation's filter seed, as every density filter does), `velocity` a scale."""
    live: list[Filter] = []
    if params.density is not None:
        live.append(DensityFilter(keep=params.density))
    if params.velocity is not None:
        live.append(VelocityFilter(scale=params.velocity))
    return tuple(live)


def _request(
    section: Section, frame: Frame, heard: Heard, key: Key | None, trigger: Trigger, generation: int
) -> GenerationRequest:
    tb, listen, now = frame.timebase, section.listen, heard.now
    context = listening(section, heard.memory, heard.held, now, trigger, tb)
    events = section.output.events
    if trigger.reason == "turn":
        events = turn_events(events, trigger.start, trigger.until, tb)
    return GenerationRequest(
        context=context,
        origin=bar_origin(context[0].onset if context else now, tb),
        start=trigger.start,
        until=trigger.until,
        timebase=tb,
        max_events=events,
        sampling=section.model.sampling,
        constraints=replace(
            constraints_for(frame, section, key, implied_chord(context, trigger.start, tb)),
            max_run=run_limit([n for n in context if n.source is Source.HUMAN]),
        ),
        markov=section.model.markov,
        human_density=human_density(heard, listen.window, tb, context),
        generation=generation,
        role=section.mode.value,
        answer=section.answer.value,
        turn=turn_heard(section, context, trigger, tb),
    )


def _sampling(spec: SamplingSpec, params: LiveParams, seed: int, generation: int) -> SamplingSpec:
    """The section's sampling, live temperature and top_p on top, and this generation's seed."""
    base = spec.seed if spec.seed is not None else seed
    return replace(
        spec,
        temperature=spec.temperature if params.temperature is None else params.temperature,
        top_p=spec.top_p if params.top_p is None else params.top_p,
        seed=derive_seed(base, generation),
    )


def turn_events(events: int, start: float, until: float, tb: Timebase) -> int:
    """The event budget of a trading answer: enough to fill the whole turn.

    A musician's answer lasts the turn; `output.events` (a count fitted to a phrase) runs out after
    a bar or two of four-part texture. So a turn may decode up to `TURN_EVENTS_PER_BEAT` events a
    beat (never fewer than `events`); the model still ends its answer at the turn's end.
    """
    beats = max(0.0, tb.beats(until - start))
    return max(events, math.ceil(beats * TURN_EVENTS_PER_BEAT - _EPS))


def constraints_for(
    frame: Frame, section: Section, key: Key | None = None, chord: Chord | None = None
) -> Constraints:
    """AI channel and program from the frame; range and scale from the section's filters (the fixed
    key of a key filter, else `key`); the decode-time roles from the section (`roles`)."""
    low, high = 0, 127
    pitch_classes: frozenset[int] | None = None
    for spec in section.filters:
        if isinstance(spec, RangeFilter):
            low, high = max(low, spec.low), min(high, spec.high)
        elif isinstance(spec, KeyFilter):
            fixed = spec.key.key if isinstance(spec.key, FixedKey) else key
            if fixed is not None:
                pitch_classes = fixed.pitch_classes
    channels = frozenset({frame.ai_channel})
    base = Constraints(
        channels=channels, program=frame.program, low=low, high=high, pitch_classes=pitch_classes
    )
    return roles(base, section, chord)


def roles(base: Constraints, section: Section, chord: Chord | None) -> Constraints:
    """`base` with the section's decode-time roles: the group cap (`output.max_group`); a chords
    filter's chord sizes and spacing, its comping on the tones of `chord` (within the key, when at
    least two of them are) paced over the output span; a melody filter's single line; the tightest
    density cap as a note budget."""
    out = replace(base, group_max=section.output.max_group)
    for spec in section.filters:
        if isinstance(spec, ChordsFilter):
            group_max = min(spec.max_notes, out.group_max)
            tones = comp_tones(chord, base.pitch_classes)
            out = replace(out, group_min=min(spec.min_notes, group_max), group_max=group_max)
            out = replace(out, spacing=spec.spacing, chord_tones=tones, paced=True)
        elif isinstance(spec, MelodyFilter):
            out = replace(out, monophonic=True, group_min=1, group_max=1)
        elif isinstance(spec, DensityFilter) and spec.max_per_second is not None:
            rate = spec.max_per_second
            out = replace(out, max_per_second=min(rate, out.max_per_second or rate))
    return out


def comp_tones(chord: Chord | None, key: frozenset[int] | None) -> frozenset[int] | None:
    """The pitch classes comping plays on `chord`: its tones within `key` (None: no chord, or fewer
    than two of its tones in the key — the key alone then)."""
    if chord is None:
        return None
    tones = chord.pitch_classes if key is None else chord.pitch_classes & key
    return tones if len(tones) >= 2 else None


def implied_chord(context: Sequence[Note], at: float, tb: Timebase) -> Chord | None:
    """The chord the human's notes imply over the bar before `at` (`conductor.core.harmony`)."""
    human = [n for n in context if n.source is Source.HUMAN]
    return chord_of(human, at - tb.seconds_per_bar, at)


def human_density(heard: Heard, window: Span, tb: Timebase, context: Sequence[Note]) -> float:
    """The human's notes per second over the listening window (held notes included).

    A window counted in notes is measured over the time its context covers (at least one beat).
    """
    now = heard.now
    if window.unit is Unit.NOTES:
        first = context[0].onset if context else now
        seconds = max(now - first, tb.seconds_per_beat)
    else:
        seconds = window.seconds(tb)
    if seconds <= 0:
        return 0.0
    held = sum(1 for n in heard.held if n.source is Source.HUMAN and now - seconds - _EPS <= n.onset <= now)
    return heard.memory.density(now, seconds, Source.HUMAN) + held / seconds
