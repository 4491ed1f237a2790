"""Training pieces in the shape of the performance: a work's parts split into the human's part and the
AI's, per role, cut into windows that start on a bar line, as the live context does.

- Works of several parts (chorales, masses, quartets, piano RH/LH): parts ordered by mean pitch; the
  top part is the melody. `chords`: melody → the other parts; `solo`: the other parts → melody;
  `duet` (three parts or more): the upper half against the lower half, the human on the upper or the
  lower half (a stable hash of the work's name decides).
- One-part works (folk tunes): `trading`: phrases of `phrase_bars` bars (2 bars of four beats or
  more, else 4 bars), the human on the even phrases (a pickup goes with the first), the AI on the odd
  ones, so every AI phrase answers the human phrase just before it.

`windows` cuts a pair at bar lines into spans of at most ``max_notes`` notes (and ``max_bars`` bars),
each overlapping the previous by about half; a trading window starts on a human phrase. Pure functions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from conductor.backends.skytnt.roles import TICKS_PER_BEAT, Meter, PartNote, Role, RoleScore, role_score
from conductor.train.batching import GROUP_SEPARATOR
from conductor.train.parts import Work

SEPARATOR = GROUP_SEPARATOR  # "work | role | bars": the held-out split keeps a work whole


@dataclass(frozen=True)
class Pair:
    """One work split for one role; ``bars`` are bar lines in ticks, the last one the end."""

    name: str
    role: Role
    human: tuple[PartNote, ...]
    ai: tuple[PartNote, ...]
    bars: tuple[int, ...]
    meter: Meter
    phrase_bars: int = 0  # trading only


def stable_hash(text: str) -> int:
    """A hash that is the same in every process and run."""
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)


def bar_ticks(meter: Meter) -> int:
    """Ticks in one bar of ``meter``."""
    return meter.beats_per_bar * 4 * TICKS_PER_BEAT // meter.beat_unit


def bar_lines(work: Work) -> tuple[int, ...]:
    """The work's bar lines, sorted, extended by whole bars to cover its last note's end."""
    step = max(1, bar_ticks(work.meter))
    bars = sorted(set(work.bars)) or [0]
    end = max(n.start + n.duration for part in work.parts for n in part)
    while bars[-1] < end:
        bars.append(bars[-1] + step)
    return tuple(bars)


def _merge(parts: Iterable[Sequence[PartNote]]) -> tuple[PartNote, ...]:
    return tuple(sorted(n for part in parts for n in part))


def pairs_of(work: Work) -> list[Pair]:
    """Every role pair a work gives (see the module docstring)."""
    bars = bar_lines(work)
    if len(work.parts) == 1:
        return [trading_pair(work, bars)]
    order = sorted(work.parts, key=lambda p: -sum(n.pitch for n in p) / len(p))
    top, rest = order[0], order[1:]
    out = [
        Pair(f"{work.name}{SEPARATOR}chords", Role.CHORDS, top, _merge(rest), bars, work.meter),
        Pair(f"{work.name}{SEPARATOR}solo", Role.SOLO, _merge(rest), top, bars, work.meter),
    ]
    if len(order) >= 3:
        half = (len(order) + 1) // 2
        upper, lower = _merge(order[:half]), _merge(order[half:])
        human, ai = (upper, lower) if stable_hash(work.name) % 2 == 0 else (lower, upper)
        out.append(Pair(f"{work.name}{SEPARATOR}duet", Role.DUET, human, ai, bars, work.meter))
    return out


def phrase_length(meter: Meter) -> int:
    """Bars per trading phrase: 2 bars of four quarter notes or more, else 4."""
    return 2 if bar_ticks(meter) >= 4 * TICKS_PER_BEAT else 4


def trading_pair(work: Work, bars: tuple[int, ...]) -> Pair:
    """A one-part work split into alternating phrases: the human's even phrases, the AI's odd ones."""
    size = phrase_length(work.meter)
    pickup = has_pickup(bars)
    human: list[PartNote] = []
    ai: list[PartNote] = []
    for note in work.parts[0]:
        phrase = max(0, (_bar_index(bars, note.start) - pickup) // size)
        (human if phrase % 2 == 0 else ai).append(note)
    return Pair(
        f"{work.name}{SEPARATOR}trading", Role.TRADING, tuple(human), tuple(ai), bars, work.meter, size
    )


def has_pickup(bars: Sequence[int]) -> int:
    """1 when the first bar is a pickup: its line before tick 0 (music21's padding) or shorter."""
    if len(bars) < 3:
        return 0
    return 1 if bars[0] < 0 or bars[1] - bars[0] < bars[2] - bars[1] else 0


def _bar_index(bars: Sequence[int], tick: int) -> int:
    """Index of the bar holding ``tick`` (0 before the first bar line)."""
    lo, hi = 0, len(bars) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if bars[mid] <= tick:
            lo = mid
        else:
            hi = mid - 1
    return lo


# ---------------------------------------------------------------- windows


def notes_per_bar(pair: Pair) -> list[int]:
    """Notes of both parts starting in each bar (bar i spans bars[i]..bars[i+1])."""
    counts = [0] * (len(pair.bars) - 1)
    for note in (*pair.human, *pair.ai):
        counts[min(len(counts) - 1, _bar_index(pair.bars, note.start))] += 1
    return counts


def window_starts(pair: Pair) -> list[int]:
    """Bars a window may start on: any bar, or (trading) the first bar of a human phrase."""
    bars = len(pair.bars) - 1
    if pair.role is not Role.TRADING:
        return list(range(bars))
    step = 2 * pair.phrase_bars
    return [0, *range(has_pickup(pair.bars) + step, bars, step)]


def windows(pair: Pair, max_notes: int, max_bars: int = 24) -> list[tuple[int, int]]:
    """(first bar, end bar) spans with at most ``max_notes`` notes, overlapping by about half."""
    counts = notes_per_bar(pair)
    starts = window_starts(pair)
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(starts):
        a = starts[i]
        b, total = a, 0
        while b < len(counts) and b - a < max_bars and total + counts[b] <= max_notes:
            total += counts[b]
            b += 1
        if b - a >= 2 and _both_play(pair, a, b):
            out.append((a, b))
        if b >= len(counts):
            break
        half = pair.bars[a] + (pair.bars[b] - pair.bars[a]) // 2
        i = next((k for k, s in enumerate(starts) if s > a and pair.bars[s] >= half), i + 1)
    return out


def _both_play(pair: Pair, a: int, b: int) -> bool:
    lo, hi = pair.bars[a], pair.bars[b]
    return any(lo <= n.start < hi for n in pair.human) and any(lo <= n.start < hi for n in pair.ai)


def window_score(pair: Pair, a: int, b: int) -> RoleScore:
    """The role score of bars [a, b) of a pair, ticks from bar a's line."""
    lo, hi = pair.bars[a], pair.bars[b]
    return role_score(_shift(pair.human, lo, hi), _shift(pair.ai, lo, hi), pair.role, pair.meter)


def _shift(notes: Sequence[PartNote], lo: int, hi: int) -> list[PartNote]:
    return [n._replace(start=n.start - lo) for n in notes if lo <= n.start < hi]
