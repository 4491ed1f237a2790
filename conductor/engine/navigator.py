"""Sections navigator: which section plays, and when the next change lands.

A section ends after its length, quantised up to the bar line (`then:` says what follows: the next
section, a named one, the same one again, or the end). Footswitch actions `next`, `previous` and
`goto` land on the next grid point of `piece.changes_on` (now | beat | bar); pressing `next` twice
before the change lands moves two sections on. A reload keeps the current section (matched by name)
and its start time. Not thread-safe: the engine thread owns it.

It never spins, whatever piece it is handed (validation refuses sections shorter than a beat, but a
piece built in code is not validated): a section lasts at least to the first bar line after its
start, a length that is not a finite number of seconds waits for the footswitch, and at most
`MAX_CHANGES_AT_ONCE` changes are polled at one instant (then None until time moves on).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from conductor.piece.compiled import Piece, Section
from conductor.piece.names import Action, ThenKind

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Change:
    """A section change at `at` to section `index` (None: the piece stops)."""

    at: float
    index: int | None
    reason: str  # "length" | "next" | "previous" | "goto" | "reload"


BAR_SLACK_S = 0.05  # a length running out this close after a bar line ends on that bar line
MAX_CHANGES_AT_ONCE = 64  # section changes landing at one instant before `poll` refuses more


class Navigator:
    """Tracks the current section of `piece` from `start`."""

    def __init__(self, piece: Piece, start: float = 0.0) -> None:
        self.piece = piece
        self.index: int | None = 0 if piece.sections else None
        self.started_at = start
        self.pending: Change | None = None
        self._burst: tuple[float, int] = (start, 0)  # (instant polled, changes applied at it)

    @property
    def section(self) -> Section | None:
        """The current section, or None once the piece has stopped."""
        return None if self.index is None else self.piece.sections[self.index]

    def end_time(self) -> float | None:
        """When the current section's length runs out (on a bar line), or None (footswitch/stopped).

        Never at or before the section's start: at least the first bar line after it."""
        section = self.section
        if section is None or section.length is None:
            return None
        tb = self.piece.timebase
        try:
            seconds = section.length.seconds(tb)
            bar = tb.seconds_per_bar
        except (ValueError, ZeroDivisionError):
            return None  # a count of notes or a tempo of 0: no length in time
        if not (math.isfinite(seconds) and math.isfinite(bar) and bar > 0 and math.isfinite(self.started_at)):
            return None
        # A section begun a hair after a bar line (the real clock's start, a late step) still ends
        # on the bar its length names, not a whole bar later.
        end = tb.next_boundary(self.started_at + seconds - BAR_SLACK_S, "bar")
        if end <= self.started_at + 1e-9:
            end = tb.next_boundary(self.started_at + 1e-6, "bar")
        return end if end > self.started_at else self.started_at + bar

    def next_time(self) -> float | None:
        """The time of the next change, pressed or by length."""
        times = [t for t in (self.pending.at if self.pending else None, self.end_time()) if t is not None]
        return min(times, default=None)

    def press(self, action: Action, t: float, target: str | None = None) -> Change | None:
        """Schedule the change a navigation action asks for; returns it (None if not navigation)."""
        base = self.pending.index if self.pending is not None else self.index
        if base is None or action not in (Action.NEXT, Action.PREVIOUS, Action.GOTO):
            return None
        if action is Action.GOTO:
            index = self.piece.index_of(target or "")
            if index is None:
                log.warning("goto %r: no such section; staying put", target)
                return None
        elif action is Action.NEXT:
            index = base + 1 if base + 1 < len(self.piece.sections) else None
        else:
            index = max(0, base - 1)
        at = self.piece.timebase.next_boundary(t, self.piece.changes_on)
        self.pending = Change(at, index, action.value)
        return self.pending

    def poll(self, t: float) -> Change | None:
        """Apply the change due at or before `t`, if any, and return it (one change per call; at most
        `MAX_CHANGES_AT_ONCE` calls at one `t` return one)."""
        end = self.end_time()
        if (
            self.pending is not None
            and t >= self.pending.at - 1e-9
            and (end is None or self.pending.at <= end)
        ):
            change = self.pending
        elif end is not None and t >= end - 1e-9:
            change = Change(end, self._then(), "length")
        else:
            return None
        if not self._may_land(t):
            return None
        self.pending = None
        self.index, self.started_at = change.index, change.at
        return change

    def _may_land(self, t: float) -> bool:
        """Count the changes polled at instant `t`; refuse (and log once) past `MAX_CHANGES_AT_ONCE`."""
        instant, count = self._burst
        count = count + 1 if t == instant else 1
        self._burst = (t, count)
        if count == MAX_CHANGES_AT_ONCE + 1:
            log.error("%d section changes at %.3f s: waiting for time to move on", MAX_CHANGES_AT_ONCE, t)
        return count <= MAX_CHANGES_AT_ONCE

    def _then(self) -> int | None:
        section = self.section
        assert section is not None
        then = section.then
        if then.kind is ThenKind.LOOP:
            return section.index
        if then.kind is ThenKind.STOP:
            return None
        if then.kind is ThenKind.GOTO:
            return self.piece.index_of(then.target or "")
        nxt = section.index + 1
        return nxt if nxt < len(self.piece.sections) else None

    def upcoming(self) -> Section | None:
        """The section that will follow (pressed, or by `then:`), if known."""
        if self.pending is not None:
            index = self.pending.index
        elif self.section is not None:
            index = self._then()
        else:
            return None
        return None if index is None else self.piece.sections[index]

    def reload(self, piece: Piece) -> None:
        """Switch to `piece`, keeping the current section by name (else the first) and its start time."""
        name = self.section.name if self.section is not None else None
        self.piece = piece
        self.pending = None
        if self.index is not None:
            index = piece.index_of(name or "")
            self.index = index if index is not None else (0 if piece.sections else None)
