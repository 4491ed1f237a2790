"""Decode-time roles: the shape of what a model may play next, given what it has played.

Both backends steer decoding with the same rules (`Shape`, from the request's `Constraints`) and the
same running state (`Played`, the notes decoded so far in one generation plus the AI's notes still
sounding when it starts). Time is counted in *ticks* of the caller's choosing (SkyTNT: 16ths from the
score's origin; Markov: seconds); notes struck at the same tick form one onset *group*.

The rules, per next note:
- a group holds at most `group_max` notes, and while it holds fewer than `group_min` the next note
  must join it (chords); `monophonic` forbids groups and any onset while the last note sounds (a line);
- a pitch still sounding is never struck again, so no note is cut to nothing by its own re-strike;
- with `spacing`, a group is voiced lowest first, each note at least `spacing` semitones above the
  one before, and a note leaves room above it (among the pitches allowed) for the notes the group
  still needs;
- at most `budget` notes start in any `span` ticks (the density filter's rate, as a budget);
- the line (the top note of each group) repeats one pitch at most `max_run` groups in a row
  (`run_limit`: the human's longest + 2): the next group may not contain that pitch;
- a `pace`d generation (comping) spreads its event budget over its output span: by any tick, at
  most that share of its events plus one full group have been played, so the chords last the span
  instead of spending every event in its first beats.

Pure and immutable: `Played.after` returns a new state, so speculative decoding can draft ahead.
Thread-safe.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from conductor.backends.base import Constraints
from conductor.core.events import Note

_EPS = 1e-9
RUN_SLACK = 2  # a line may repeat one pitch this many times more than the human's longest run
GROUP_S = 0.03  # notes starting this close (seconds) are struck together (as `conductor evaluate` reads)


def line(notes: Sequence[Note]) -> list[int]:
    """The line of a part: the top pitch of each group of onsets within `GROUP_S`, in time order."""
    tops: list[int] = []
    first = -math.inf
    for note in sorted(notes, key=lambda n: (n.onset, -n.pitch)):
        if note.onset > first + GROUP_S + _EPS:
            tops.append(note.pitch)
            first = note.onset
    return tops


def runs(pitches: Sequence[int]) -> list[int]:
    """The length of the run of equal pitches ending at each pitch."""
    out: list[int] = []
    for i, pitch in enumerate(pitches):
        out.append(out[-1] + 1 if i and pitch == pitches[i - 1] else 1)
    return out


def run_limit(human: Sequence[Note]) -> int:
    """The most notes in a row a line may play on one pitch: the longest run of one pitch in the
    human's `line`, plus `RUN_SLACK`."""
    return max(runs(line(human)), default=1) + RUN_SLACK


def rate_window(rate: float) -> tuple[float, int]:
    """The density cap of `rate` notes per second as (window seconds, most notes in any window):
    W = max(1, 1 / rate), N = max(1, floor(rate × W)). The density filter counts the same way."""
    span = max(1.0, 1.0 / rate)
    return span, max(1, int(rate * span + _EPS))


@dataclass(frozen=True, slots=True)
class Shape:
    """The rules of one generation, in ticks."""

    group_min: int = 1
    group_max: int = 8
    monophonic: bool = False
    spacing: int = 0  # 0: any order within a group; n: lowest first, n semitones apart at least
    budget: int = 0  # 0: no cap; else most notes starting in any `span` ticks
    span: float = 0.0
    pace: float = 0.0  # 0: none; else notes per tick the generation's events last its output span at
    max_run: int = 0  # 0: no limit; else most groups in a row with one top pitch

    @classmethod
    def of(
        cls, constraints: Constraints, ticks_per_second: float, events: int = 0, ticks: float = 0.0
    ) -> Shape:
        """The rules `constraints` ask for, with time counted at `ticks_per_second`; a paced
        generation spreads its `events` over its output span of `ticks`."""
        budget, span = 0, 0.0
        if constraints.max_per_second:
            seconds, budget = rate_window(constraints.max_per_second)
            span = seconds * ticks_per_second
        group_max = 1 if constraints.monophonic else max(1, constraints.group_max)
        pace = events / ticks if constraints.paced and events > 0 and ticks > 0 else 0.0
        return cls(
            group_min=min(max(1, constraints.group_min), group_max),
            group_max=group_max,
            monophonic=constraints.monophonic,
            spacing=constraints.spacing,
            budget=budget,
            span=span,
            pace=pace,
            max_run=constraints.max_run or 0,
        )


@dataclass(frozen=True, slots=True)
class Onsets:
    """Where the next note may start: `join` (the open group's tick; None: it may not join), or any
    tick at or after `earliest` and strictly after `after` (None: a new group may not start yet)."""

    join: float | None
    earliest: float | None
    after: float | None

    def allows(self, tick: float) -> bool:
        """May the next note start at `tick`?"""
        if self.join is not None and abs(tick - self.join) < _EPS:
            return True
        if self.earliest is None or tick < self.earliest - _EPS:
            return False
        return self.after is None or tick > self.after + _EPS


@dataclass(frozen=True, slots=True)
class Pitches:
    """Which pitches the next note may take: at or above `lowest`, not in `banned`, and with room
    above it for the `still` notes its group needs after it, `spacing` semitones apart (`room`)."""

    lowest: int
    banned: frozenset[int]
    still: int = 0
    spacing: int = 0

    def room(self, allowed: list[int]) -> list[int]:
        """Those of `allowed` (the pitches range, key and chord allow) that pass every rule, in order."""
        free = sorted(p for p in allowed if p >= self.lowest and p not in self.banned)
        if not self.still or not self.spacing:
            return free
        chain: dict[int, int] = {}  # pitch → the most notes a spaced chain starting there can hold
        ordered = sorted(p for p in allowed if p not in self.banned)
        for i in range(len(ordered) - 1, -1, -1):
            j = bisect.bisect_left(ordered, ordered[i] + self.spacing)
            chain[ordered[i]] = 1 + (chain[ordered[j]] if j < len(ordered) else 0)
        return [p for p in free if chain[p] > self.still]


@dataclass(frozen=True, slots=True)
class Played:
    """What a generation has played so far (see the module docstring); `after` adds a note."""

    shape: Shape = field(default_factory=Shape)
    group_tick: float | None = None  # the open group's onset
    group: tuple[int, ...] = ()  # its pitches, in the order struck
    sounding: tuple[tuple[float, int], ...] = ()  # (end tick, pitch) of notes that may still sound
    recent: tuple[float, ...] = ()  # onsets within the budget's span of the last one, sorted
    origin: float = 0.0  # where the generation's output span starts (pacing)
    count: int = 0  # notes played
    top: int | None = None  # the top pitch of the groups before the open one ...
    run: int = 0  # ... and how many of them in a row had it

    @classmethod
    def start(
        cls,
        shape: Shape,
        sounding: tuple[tuple[float, int], ...] = (),
        origin: float = 0.0,
        before: Sequence[int] = (),
    ) -> Played:
        """A generation's state before its first note; `sounding`: the AI's notes still ringing;
        `origin`: the tick its output span starts at; `before`: the AI's line so far (its run of one
        pitch goes on in this generation)."""
        top, run = (before[-1], runs(before)[-1]) if before else (None, 0)
        return cls(shape, sounding=sounding, origin=origin, top=top, run=run)

    def after(self, tick: float, pitch: int, duration: float) -> Played:
        """This state with a note at `tick` added (notes come in onset order)."""
        joins = self.group_tick is not None and abs(tick - self.group_tick) < _EPS
        group = (*self.group, pitch) if joins else (pitch,)
        sounding = (*(s for s in self.sounding if s[0] > tick + _EPS), (tick + duration, pitch))
        recent = self.recent
        if self.shape.budget:
            recent = (*(t for t in recent if t > tick - self.shape.span + _EPS), tick)
        top, run = (self.top, self.run) if joins else self._closed()
        return Played(self.shape, tick, group, sounding, recent, self.origin, self.count + 1, top, run)

    def _closed(self) -> tuple[int | None, int]:
        """The line's top pitch and run once the open group is closed."""
        if not self.group:
            return self.top, self.run
        top = max(self.group)
        return top, self.run + 1 if top == self.top else 1

    def onsets(self) -> Onsets:
        """Where the next note may start."""
        shape, g = self.shape, self.group_tick
        join = None
        if g is not None and len(self.group) < shape.group_max and self.budget_from(1) <= g + _EPS:
            join = g
        if join is not None and len(self.group) < shape.group_min:
            return Onsets(join, None, None)
        earliest = self.budget_from(min(shape.group_min, shape.budget) if shape.budget else 0)
        earliest = max(earliest, self.paced_from(shape.group_min))
        if shape.monophonic and self.sounding:
            earliest = max(earliest, max(end for end, _ in self.sounding))
        return Onsets(join, earliest, g)

    def pitches(self, tick: float, joins: bool) -> Pitches:
        """Which pitches a note at `tick` may take (`joins`: it joins the open group)."""
        shape = self.shape
        banned = set(self.banned(tick))
        size = len(self.group) + 1 if joins else 1  # the group's size with this note
        lowest = max(self.group) + shape.spacing if joins and shape.spacing and self.group else 0
        still = max(0, shape.group_min - size)  # notes the group needs after this one
        if joins:
            banned.update(self.group)
        top, run = (self.top, self.run) if joins else self._closed()
        if shape.max_run and run >= shape.max_run and top is not None:
            banned.add(top)  # the line has repeated this pitch long enough
        return Pitches(lowest, frozenset(banned), still, shape.spacing)

    def banned(self, tick: float) -> frozenset[int]:
        """The pitches still sounding at `tick` (struck again there, they would cut themselves)."""
        return frozenset(p for end, p in self.sounding if end > tick + _EPS)

    def paced_from(self, need: int) -> float:
        """The earliest tick at which `need` more notes keep to the pace (-inf: no pace): the notes
        played by a tick t number at most pace × (t − origin) + one full group."""
        over = self.count + need - self.shape.group_max
        if not self.shape.pace or over <= 0:
            return -math.inf
        return self.origin + over / self.shape.pace

    def budget_from(self, need: int) -> float:
        """The earliest tick at which `need` more notes fit the budget (-inf: no budget)."""
        shape = self.shape
        if not shape.budget or need <= 0:
            return -math.inf
        room = shape.budget - need
        if room < 0:
            room = 0
        if len(self.recent) <= room:
            return -math.inf
        # the notes in (t - span, t] must number at most `room`: t >= recent[-(room + 1)] + span
        return self.recent[len(self.recent) - room - 1] + shape.span


def spread(pitches: list[int], count: int) -> list[int]:
    """`count` of `pitches` spread evenly by pitch, the lowest and the highest included (all if fewer)."""
    if len(pitches) <= count:
        return pitches
    ranked = sorted(pitches)
    if count == 1:
        return ranked[:1]
    return [ranked[round(i * (len(ranked) - 1) / (count - 1))] for i in range(count)]


def sounding_at(notes: list[tuple[float, float, int]], tick: float) -> tuple[tuple[float, int], ...]:
    """(end, pitch) of the (onset, end, pitch) `notes` still sounding after `tick`, sorted."""
    ordered = sorted(notes)
    upto = bisect.bisect_right([n[0] for n in ordered], tick + _EPS)
    return tuple(sorted((end, pitch) for onset, end, pitch in ordered[:upto] if end > tick + _EPS))
