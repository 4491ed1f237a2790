"""Cadence: when a section answers. Pure decisions over logical times; the engine reports what happened.

- `every N` (beats/bars/seconds): grid points `start + k·N` (k >= 1) from the section's start, which
  is on the grid; a grid point that is blocked by the overlap policy is skipped, not played late.
- `phrase_end X`: once the human has been silent for X after playing (no note held), once per phrase.
  A human who never rests never leaves that gap, so with a `fallback` F (default 2 bars) the section
  also answers on the bar grid, once the human has played in the section: at the first bar line at
  least F after the start of its last answer (or the section's start), whatever the human holds; a
  bar line the overlap policy blocks is skipped, as in `every`. So a phrase-end section the human
  plays in is never silent for more than F plus a bar.
- `turns` (trading): at each AI turn, with material fitted exactly to the turn: `start` = turn start,
  `until` = turn end, durations clipped at the turn end; nothing in the human's turns.

Each `Trigger` asks the model `lead` seconds before its first note may sound (`at = start - lead`),
so a model with that much first-note latency still lands on the grid. A `regenerate` press adds one
trigger on the next grid point of the piece's `changes_on` (`regenerate`), whatever the kind.

Overlap policies: `wait` — no generation while one runs or its output still sounds; `overlap` — not
while one runs; `replace` — always, and the engine cancels the previous generation and its output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from conductor.core.events import Source
from conductor.core.timebase import Timebase
from conductor.piece.compiled import AtTurns, Every, PhraseEnd, Section
from conductor.piece.names import Overlap


@dataclass(frozen=True, slots=True)
class Trigger:
    """One generation to start: ask at `at`; output onsets in [start, until]; `clip`: ends <= until."""

    at: float
    start: float
    until: float
    clip: bool = False
    reason: str = "every"


def horizon_seconds(section: Section, tb: Timebase) -> float:
    """How far past its start one generation may place notes: the section's horizon."""
    return section.output.horizon.seconds(tb)


def allowed(policy: Overlap, running: bool, sounding: bool) -> bool:
    """May a new generation start under `policy`, given a generation running / output pending?"""
    if policy is Overlap.REPLACE:
        return True
    if policy is Overlap.OVERLAP:
        return not running
    return not running and not sounding


class Cadence:
    """The trigger logic of one section, from its start time. Not thread-safe (engine thread)."""

    def __init__(self, section: Section, tb: Timebase, section_start: float, lead: float = 0.0) -> None:
        self.section = section
        self.tb = tb
        self.origin = section_start
        self.lead = lead
        self._k = 0  # last grid point / turn index handled
        self._phrase_armed = False
        self._last_off: float | None = None
        self._manual: Trigger | None = None  # a regenerate press, waiting for its grid point
        self._answered = section_start  # start of the last answer (phrase end: the fallback's origin)
        self._heard_any = False  # has the human played in this section (the fallback waits for it)
        self._skipped = -math.inf  # the last fallback bar line the overlap policy blocked
        if isinstance(section.cadence, AtTurns):
            self._k = -1

    # ------------------------------------------------------------ what the engine reports

    def heard(self, end: float | None = None) -> None:
        """A human note began (`end` None) or ended at `end`: arms the phrase-end trigger."""
        self._phrase_armed = self._heard_any = True
        if end is not None:
            self._last_off = end if self._last_off is None else max(self._last_off, end)

    def resume(self, now: float) -> None:
        """Skip every grid point and turn that starts before `now + lead` (after a hot reload)."""
        cadence = self.section.cadence
        if isinstance(cadence, Every):
            self._k = math.floor((now + self.lead - self.origin) / self._every_step() + 1e-9)
        elif isinstance(cadence, AtTurns):
            self._k = math.floor((now + self.lead - self.origin) / self._turn_length() + 1e-9)
        else:
            self._answered = max(self._answered, now)

    # ------------------------------------------------------------ decisions

    def regenerate(self, t: float, grid: str) -> None:
        """Answer once more: a `regenerate` pressed at `t` lands on the next `grid` point."""
        self._manual = self.manual(t, grid)

    def next_time(self) -> float | None:
        """When `poll` could next return a trigger (None: only after new input)."""
        times = (self._next_own(), self._manual.at if self._manual else None)
        return min((x for x in times if x is not None), default=None)

    def _next_own(self) -> float | None:
        cadence = self.section.cadence
        if isinstance(cadence, Every):
            return self._every_trigger(self._k + 1).at
        if isinstance(cadence, AtTurns):
            return self._turn_trigger(self._next_ai_turn(self._k + 1)).at
        fallback = self._fallback_start()
        times = [None if fallback is None else fallback - self.lead]
        if self._phrase_armed and self._last_off is not None:
            times.append(self._last_off + self._silence())
        return min((x for x in times if x is not None), default=None)

    def poll(self, now: float, *, held: bool, running: bool, sounding: bool) -> Trigger | None:
        """The trigger due at `now`, if any and if the overlap policy lets it play; a pressed
        `regenerate` whose time has come wins over the cadence's own."""
        due = self._poll_own(now, held, running, sounding)
        if self._manual is not None and now >= self._manual.at - 1e-9:
            due, self._manual = self._manual, None
        if due is not None:
            self._answered = max(self._answered, due.start)
        return due

    def _poll_own(self, now: float, held: bool, running: bool, sounding: bool) -> Trigger | None:
        cadence = self.section.cadence
        if isinstance(cadence, AtTurns):
            return self._poll_turns(now)
        due = self._poll_every(now) if isinstance(cadence, Every) else self._poll_phrase(now, held)
        if due is None and isinstance(cadence, PhraseEnd):
            due = self._poll_fallback(now)
        if due is None or not allowed(cadence.overlap, running, sounding):
            if due is not None and due.reason == "fallback":
                self._skipped = due.start
            return None
        return due

    def manual(self, t: float, grid: str) -> Trigger:
        """A trigger for the `regenerate` action pressed at `t`, landing on the next `grid` point."""
        start = self.tb.next_boundary(t + self.lead, grid)
        return Trigger(
            max(t, start - self.lead),
            start,
            start + horizon_seconds(self.section, self.tb),
            False,
            "regenerate",
        )

    # ------------------------------------------------------------ every

    def _every_step(self) -> float:
        cadence = self.section.cadence
        assert isinstance(cadence, Every)
        return cadence.every.seconds(self.tb)

    def _every_trigger(self, k: int) -> Trigger:
        start = self.origin + k * self._every_step()
        until = start + horizon_seconds(self.section, self.tb)
        return Trigger(max(self.origin, start - self.lead), start, until, False, "every")

    def _poll_every(self, now: float) -> Trigger | None:
        step = self._every_step()
        k = math.floor((now + self.lead - self.origin) / step + 1e-9)
        if k <= self._k:
            return None
        self._k = k
        return self._every_trigger(k)

    # ------------------------------------------------------------ phrase end

    def _silence(self) -> float:
        cadence = self.section.cadence
        assert isinstance(cadence, PhraseEnd)
        return cadence.silence.seconds(self.tb)

    def _poll_phrase(self, now: float, held: bool) -> Trigger | None:
        if held or not self._phrase_armed or self._last_off is None:
            return None
        at = self._last_off + self._silence()
        if now < at - 1e-9:
            return None
        self._phrase_armed = False
        start = self.tb.next_boundary(at + self.lead, "beat")
        return Trigger(at, start, start + horizon_seconds(self.section, self.tb), False, "phrase_end")

    def _fallback_start(self) -> float | None:
        """The bar line the fallback answers on next (None: no fallback)."""
        cadence = self.section.cadence
        if not isinstance(cadence, PhraseEnd) or cadence.fallback is None or not self._heard_any:
            return None
        due = self._answered + cadence.fallback.seconds(self.tb)
        if self._skipped >= due - 1e-9:
            due = self._skipped + 1e-6  # that bar line was blocked: the next one
        return self.tb.next_boundary(due, "bar")

    def _poll_fallback(self, now: float) -> Trigger | None:
        start = self._fallback_start()
        if start is None or now < start - self.lead - 1e-9:
            return None
        if now + self.lead > start + 1e-9:  # polled late: the next bar line still ahead
            start = self.tb.next_boundary(now + self.lead, "bar")
        self._phrase_armed = False  # this answer closes the phrase heard so far
        at = max(self.origin, start - self.lead)
        return Trigger(at, start, start + horizon_seconds(self.section, self.tb), False, "fallback")

    # ------------------------------------------------------------ turns

    def _turns(self) -> AtTurns:
        cadence = self.section.cadence
        assert isinstance(cadence, AtTurns)
        return cadence

    def _turn_length(self) -> float:
        return self._turns().bars * self.tb.seconds_per_bar

    def _next_ai_turn(self, k: int) -> int:
        first = 1 if self._turns().starts is Source.HUMAN else 0
        return k if k % 2 == first else k + 1

    def _turn_trigger(self, k: int) -> Trigger:
        start = self.origin + k * self._turn_length()
        until = start + self._turn_length()
        return Trigger(max(self.origin, start - self.lead), start, until, True, "turn")

    def _poll_turns(self, now: float) -> Trigger | None:
        k = self._next_ai_turn(self._k + 1)
        trigger = self._turn_trigger(k)
        if now < trigger.at - 1e-9:
            return None
        self._k = k
        return trigger

    def turn_owner(self, t: float) -> Source | None:
        """Who owns the turn at time `t` (trading only; None otherwise)."""
        if not isinstance(self.section.cadence, AtTurns):
            return None
        k = math.floor((t - self.origin) / self._turn_length() + 1e-9)
        return Source.AI if self._next_ai_turn(k) == k else Source.HUMAN
