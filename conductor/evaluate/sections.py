"""The sections of a take and what each asked of the AI: span, bars, mode, trading turns, key filter.

Sections come from the take's markers: each runs from its marker to the next. The last one runs to the
end of the take; when the piece gives its length, to the end of that length (a take that ends in a rest
has no event there), or to the bar line after the take's end if the take stopped earlier (its notes are
all those after its start, even past that end). Bars count
from the section's start at the take's tempo and meter; a bar counts when at least half of it lies in
the section. With a piece, each section's mode, turns and key filter come from the piece's section of
the same name. Without one (or for a name the piece lacks) the mode is inferred where the notes allow
it, and `mode_from` says so: no AI note at all → `listen`; at least 90 % of the AI's onsets in alternate
blocks of N bars (N = 4, 8 or 2, from the section's start), in at least two blocks, and at least half of
the human's onsets in the others → `trading` with N-bar turns; anything else is left unknown and
measured as a free mode (answers found by gaps).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from conductor.core.events import Source
from conductor.evaluate.metrics import attacks, within
from conductor.evaluate.takefile import TakeNotes
from conductor.piece.compiled import AtTurns, FixedKey, KeyFilter, Piece, Section
from conductor.piece.names import Mode

TURN_GUESSES = (4, 8, 2)  # bars per turn tried, in this order, when inferring trading
Span = tuple[float, float]


@dataclass(frozen=True, slots=True)
class SectionPlan:
    """One section of a take and what it asked of the AI. `mode_from`: piece | inferred | unknown."""

    name: str
    start: float
    end: float
    bar: float  # seconds a bar
    mode: str | None = None
    mode_from: str = "unknown"
    turn_bars: int | None = None  # trading only
    ai_starts: bool = False  # trading: the AI plays the first turn
    key_filter: str | None = None  # as the piece sets it ("off", "detect", "G major"); None: no piece
    last: bool = False  # the take's last section

    @property
    def notes_end(self) -> float:
        """Notes with onsets in [start, notes_end) are the section's: the last section also keeps the
        notes after its end (an AI note struck as the piece stopped is still the AI's)."""
        return math.inf if self.last else self.end

    @property
    def silent(self) -> bool:
        return self.mode == Mode.LISTEN

    @property
    def bars(self) -> list[Span]:
        """[start, end) of each bar that lies at least half inside the section."""
        return self._blocks(self.bar, 0, 1)

    @property
    def ai_turns(self) -> list[Span]:
        """[start, end) of each AI turn at least half inside the section (trading; else none)."""
        if self.turn_bars is None:
            return []
        return self._blocks(self.turn_bars * self.bar, 0 if self.ai_starts else 1, 2)

    def _blocks(self, size: float, first: int, step: int) -> list[Span]:
        count = math.floor((self.end - self.start) / size + 0.5 + 1e-9)
        return [(self.start + k * size, self.start + (k + 1) * size) for k in range(first, count, step)]


def plan_sections(take: TakeNotes, piece: Piece | None) -> tuple[list[SectionPlan], list[str]]:
    """Every section of `take` with what it asked of the AI, and notes on what had to be inferred."""
    markers = list(take.markers) or [(0.0, "take")]
    bar = take.timebase.seconds_per_bar
    plans, notes = [], []
    for i, (start, name) in enumerate(markers):
        last = i + 1 == len(markers)
        end = take.end if last else markers[i + 1][0]
        plan = SectionPlan(name, start, max(start, end), bar, last=last)
        section = _find(piece, name)
        if section is not None:
            plans.append(_from_piece(plan, section, piece))
            continue
        plan = _inferred(plan, take)
        plans.append(plan)
        reason = "no --piece" if piece is None else "not in the piece"
        notes.append(f"section {name!r}: {reason}; mode {_mode_words(plan)}")
    return plans, notes


def _find(piece: Piece | None, name: str) -> Section | None:
    if piece is None:
        return None
    index = piece.index_of(name)
    return None if index is None else piece.sections[index]


def _from_piece(plan: SectionPlan, section: Section, piece: Piece | None) -> SectionPlan:
    end = plan.end
    if plan.last and section.length is not None and piece is not None:  # the take may end in a rest
        tb = piece.timebase
        length_end = tb.next_boundary(plan.start + section.length.seconds(tb) - 0.05, "bar")
        end = min(length_end, tb.next_boundary(end - 0.05, "bar"))
    turns = section.cadence if isinstance(section.cadence, AtTurns) else None
    return replace(
        plan,
        end=max(plan.start, end),
        mode=section.mode.value,
        mode_from="piece",
        turn_bars=turns.bars if turns else None,
        ai_starts=turns is not None and turns.starts is Source.AI,
        key_filter=_key_words(section),
    )


def _key_words(section: Section) -> str:
    keys = [f for f in section.filters if isinstance(f, KeyFilter)]
    if not keys:
        return "off"
    key = keys[0].key
    return key.key.name if isinstance(key, FixedKey) else "detect"


def _inferred(plan: SectionPlan, take: TakeNotes) -> SectionPlan:
    ai = attacks(within(take.ai, plan.start, plan.notes_end))
    if not ai:
        return replace(plan, mode=Mode.LISTEN.value, mode_from="inferred")
    human = [n.onset for n in within(take.human, plan.start, plan.notes_end)]
    for bars in TURN_GUESSES:
        for ai_starts in (False, True):
            guess = replace(plan, mode="trading", mode_from="inferred", turn_bars=bars, ai_starts=ai_starts)
            if _looks_like(guess, ai, human):
                return guess
    return plan


def _looks_like(plan: SectionPlan, ai: Sequence[float], human: Sequence[float]) -> bool:
    """Do the AI's onsets keep to `plan`'s AI turns, and the human's mostly to the others?"""
    turns = plan.ai_turns
    inside = [sum(1 for t in ai if lo <= t < hi) for lo, hi in turns]
    human_in = sum(1 for t in human for lo, hi in turns if lo <= t < hi)
    played = sum(1 for count in inside if count)
    return played >= 2 and sum(inside) >= 0.9 * len(ai) and human_in <= 0.5 * len(human)


def _mode_words(plan: SectionPlan) -> str:
    if plan.mode == "trading":
        who = "the AI" if plan.ai_starts else "the human"
        return f"inferred: trading, {plan.turn_bars}-bar turns, {who} first"
    if plan.mode is not None:
        return f"inferred: {plan.mode} (the AI never played)"
    return "unknown (answers found by gaps)"
