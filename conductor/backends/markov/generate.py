"""One generation: plan it from the request (behaviours), then sample events and stream their notes.

Per step, each table (seed corpus, live) backs off from the highest order whose context it has seen
down to order 0, skipping orders where the request's constraints mask every candidate. The two
distributions are mixed by `seed_weight`. Anti-copying: after `MAX_COPY_RUN` events in a row that
had only one possible continuation (the model retracing one remembered path), that single-choice
context is skipped and its continuation excluded at lower orders, so the line must take another path.
Repetition guard: the line never repeats one pitch more than `Plan.max_run` events in a row (the
human's longest run in the window plus two, `shaping.run_limit`, or the request's `max_run`); such
candidates are excluded like the copy run.

Decode-time roles (`conductor.backends.shaping`, the same rules the transformer decodes under): each
event is shaped into the group the roles allow (`realise.shape_group`: no pitch still sounding, a
line's top note, a chord voiced down to `group_min` and thinned to `group_max`), its onset waits for
the note budget, and each note is held back until the next event is chosen, so its duration can end
at the next onset (a line, or a pitch the next event strikes again): never a zero-length re-strike.

The request's answer strategy (`conductor.backends.answers`) weights each candidate by the
exponential of the bias of its top pitch and its inter-onset value.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from conductor.backends.answers import STEPS_PER_BEAT, Weights, answer_bias
from conductor.backends.base import GenerationRequest
from conductor.backends.markov.events import (
    DUR_BEATS,
    IOI_BEATS,
    EventKey,
    class_velocity,
    cluster,
    encode_all,
)
from conductor.backends.markov.realise import nearest_allowed, realise, shape_group
from conductor.backends.markov.sampling import sample
from conductor.backends.markov.table import Counts, CountTable
from conductor.backends.shaping import Played, Shape, run_limit, sounding_at
from conductor.core.events import Note, Source

MAX_COPY_RUN = 8  # single-choice steps in a row before the model must recombine
OFF_KEY_WEIGHT = 0.1  # weight of a candidate per pitch class the human has not played in the window
MIN_TONAL_NOTES = 8  # the window's pitch classes are trusted once it holds this many notes
COMPLEMENT_DENSITY = 2.0  # human notes/s at which complementing halves the AI's density
CENTRE_CLUSTERS = 16  # the register centre is the mean anchor of this many recent events
FALLBACK_RHYTHM = (6, 6, 5)  # IOI 1 beat, duration 1 beat, velocity class 5


@dataclass(frozen=True, slots=True)
class Plan:
    """What one generation starts from: context, register, key and density."""

    history: tuple[EventKey, ...]
    anchor: int  # the pitch the first step is taken from
    centre: float  # the register the line stays near
    tonal: frozenset[int] | None  # pitch classes favoured (None: no preference)
    stretch: float  # IOIs are multiplied by this (complement density)
    max_notes: int
    channel: int
    max_run: int = 1 << 30  # most events in a row on one top pitch
    shape: Shape = field(default_factory=Shape)
    sounding: tuple[tuple[float, int], ...] = ()  # (end, pitch) of the AI's notes ringing at start


def plan(request: GenerationRequest, order: int) -> Plan | None:
    """The plan for `request`, or None when it allows no output (no channel, no events)."""
    cons = request.constraints
    if not cons.channels or request.max_events <= 0 or request.until < request.start:
        return None
    human = [n for n in request.context if n.source is Source.HUMAN]
    own = [n for n in request.context if n.source is Source.AI]
    chosen = (human if request.markov.follow else own) or list(request.context)
    clusters = cluster(chosen)
    pivot = (max(0, cons.low) + min(127, cons.high)) / 2
    offset = _away(human or chosen, pivot, request.markov.transpose_away)
    if clusters:
        anchors = [c.anchor for c in clusters[-CENTRE_CLUSTERS:]]
        anchor, centre = anchors[-1] + offset, float(np.mean(anchors)) + offset
    else:
        anchor, centre = round(pivot), pivot
    stretch = 1.0 + request.human_density / COMPLEMENT_DENSITY if request.markov.complement else 1.0
    return Plan(
        history=tuple(encode_all(clusters[-(order + 1) :], request.timebase)),
        anchor=anchor,
        centre=centre,
        tonal=_tonal(human, offset) if cons.pitch_classes is None else None,
        stretch=stretch,
        max_notes=max(1, round(request.max_events / stretch)),
        channel=min(cons.channels),
        max_run=cons.max_run if cons.max_run is not None else run_limit(human),
        shape=Shape.of(cons, 1.0, request.max_events, request.until - request.start),
        sounding=sounding_at([(n.onset, n.end, n.pitch) for n in own], request.start),
    )


def _away(notes: Sequence[Note], pivot: float, semitones: int) -> int:
    """Transpose-away offset: up when the human plays below the pivot, down when above."""
    if not semitones or not notes:
        return 0
    mean = float(np.mean([n.pitch for n in notes]))
    return abs(semitones) if mean < pivot else -abs(semitones)


def _tonal(human: Sequence[Note], offset: int) -> frozenset[int] | None:
    if len(human) < MIN_TONAL_NOTES:
        return None
    return frozenset((n.pitch + offset) % 12 for n in human)


@dataclass(slots=True)
class _State:
    anchor: int
    history: list[EventKey]
    copy_run: int = 0
    run: int = 0  # events in a row on the anchor's pitch


class Sampler:
    """Chooses events for one generation from weighted tables."""

    def __init__(self, tables: Sequence[tuple[CountTable, float]], request: GenerationRequest, p: Plan):
        self.tables = tables
        self.request = request
        self.plan = p
        self.max_order = request.markov.order
        scale = request.key.pitch_classes if request.key is not None else request.constraints.pitch_classes
        self.bias = answer_bias(request.answer, request.turn, request.origin, request.timebase, scale)
        self._favour: tuple[Weights, Weights] = ({}, {})  # the bias's pitches and IOIs for this step

    def notes(self, rng: np.random.Generator) -> Iterator[Note]:
        """Stream the generation's notes in onset order, inside [start, until], at most max_notes;
        each event's notes are released once the next event is chosen (see the module docstring)."""
        req, p = self.request, self.plan
        state = _State(anchor=p.anchor, history=list(p.history))
        played = Played.start(p.shape, p.sounding, req.start)  # the notes released so far
        onset, emitted, pending = req.start, 0, list[Note]()
        while emitted < p.max_notes:
            step = self.choose(state, rng)
            if step is None:
                break
            key, pitches = step
            if pending:
                onset += IOI_BEATS[key[2]] * p.stretch * req.timebase.seconds_per_beat
            ahead = _with(played, pending)
            onset = max(
                onset,
                ahead.budget_from(min(len(pitches), p.shape.budget)),
                ahead.paced_from(max(len(pitches), p.shape.group_min)),
            )
            group = shape_group(pitches, p.shape, req.constraints, played.banned(onset))
            if onset > req.until or not group:
                break
            if self.bias is not None:
                self.bias.played(max(group), round(req.timebase.beats(onset - req.origin) * STEPS_PER_BEAT))
            released = _ended(pending, onset, group, p.shape.monophonic)
            played = _with(played, released)
            yield from released
            pending = self._event(onset, key, group[: p.max_notes - emitted])
            emitted += len(pending)
        yield from pending

    def _event(self, onset: float, key: EventKey, group: tuple[int, ...]) -> list[Note]:
        """The notes of event `key` playing `group` at `onset`, lowest first."""
        length = DUR_BEATS[key[3]] * self.request.timebase.seconds_per_beat
        velocity, channel = class_velocity(key[4]), self.plan.channel
        return [Note(onset, length, pitch, velocity, channel, Source.AI) for pitch in sorted(group)]

    def choose(self, state: _State, rng: np.random.Generator) -> tuple[EventKey, tuple[int, ...]] | None:
        """Sample the next event and advance `state`; None when nothing at all can be played."""
        realised: dict[EventKey, tuple[int, ...] | None] = {}
        mixed: dict[EventKey, float] = {}
        self._favour = (self.bias.pitches(), self.bias.iois()) if self.bias is not None else ({}, {})
        single = True
        for table, weight in self.tables:
            found = self._backoff(table, state, realised)
            if found is None:
                continue
            order, dist = found
            single = single and order > 0 and len(dist) == 1
            total = sum(dist.values())
            for key, w in dist.items():
                mixed[key] = mixed.get(key, 0.0) + weight * w / total
        if not mixed:
            return self._fallback(state)
        key = sample(mixed, self.request.sampling, rng)
        pitches = realised[key]
        assert pitches is not None
        state.copy_run = state.copy_run + 1 if single and len(mixed) == 1 else 0
        self._advance(state, key, pitches)
        return key, pitches

    def _backoff(
        self, table: CountTable, state: _State, realised: dict[EventKey, tuple[int, ...] | None]
    ) -> tuple[int, Counts] | None:
        excluded: set[EventKey] = set()
        for order, counts in table.backoff(state.history, self.max_order):
            dist: Counts = {}
            for key, count in counts.items():
                if key not in realised:
                    realised[key] = realise(key, state.anchor, self.plan.centre, self.request.constraints)
                pitches = realised[key]
                if pitches is not None and key not in excluded and not self._repeats(state, pitches):
                    dist[key] = count * self._tonal_weight(pitches) * self._answer_weight(key, pitches)
            if not dist:
                continue
            if state.copy_run >= MAX_COPY_RUN and order > 0 and len(dist) == 1 and not excluded:
                excluded.update(dist)
                continue
            return order, dist
        return None

    def _repeats(self, state: _State, pitches: tuple[int, ...]) -> bool:
        """Would `pitches` repeat the anchor's pitch once more than the guard allows?"""
        return state.run >= self.plan.max_run and pitches[0] == state.anchor

    def _tonal_weight(self, pitches: tuple[int, ...]) -> float:
        tonal = self.plan.tonal
        if tonal is None:
            return 1.0
        return float(OFF_KEY_WEIGHT ** sum(1 for p in pitches if p % 12 not in tonal))

    def _answer_weight(self, key: EventKey, pitches: tuple[int, ...]) -> float:
        """exp(the answer bias of the event's top pitch and of its inter-onset value)."""
        pitch_bias, ioi_bias = self._favour
        if not pitch_bias and not ioi_bias:
            return 1.0
        ioi = round(IOI_BEATS[key[2]] * self.plan.stretch * STEPS_PER_BEAT)
        return math.exp(pitch_bias.get(max(pitches), 0.0) + ioi_bias.get(ioi, 0.0))

    def _fallback(self, state: _State) -> tuple[EventKey, tuple[int, ...]] | None:
        """Nothing learnt fits the constraints: repeat the nearest allowed pitch in the last rhythm."""
        avoid = state.anchor if state.run >= self.plan.max_run else None
        pitch = nearest_allowed(state.anchor, self.request.constraints, avoid)
        if pitch is None:
            return None
        ioi, dur, vel = state.history[-1][2:] if state.history else FALLBACK_RHYTHM
        key: EventKey = (pitch - state.anchor, (), ioi, dur, vel)
        state.copy_run = 0
        self._advance(state, key, (pitch,))
        return key, (pitch,)

    def _advance(self, state: _State, key: EventKey, pitches: tuple[int, ...]) -> None:
        state.run = state.run + 1 if pitches[0] == state.anchor else 1
        state.anchor = pitches[0]
        state.history.append(key)
        if len(state.history) > max(1, self.max_order):
            del state.history[0]


def _ended(notes: list[Note], onset: float, group: tuple[int, ...], line: bool) -> list[Note]:
    """`notes` (one event's) ending at the latest at `onset` where a line goes on there or the next
    `group` strikes their pitch again (`onset` lies after theirs: never a zero-length note)."""
    return [
        n.with_(duration=onset - n.onset) if n.end > onset and (line or n.pitch in group) else n
        for n in notes
    ]


def _with(played: Played, notes: Sequence[Note]) -> Played:
    """`played` with `notes` (in onset order) added."""
    for note in notes:
        played = played.after(note.onset, note.pitch, note.duration)
    return played
