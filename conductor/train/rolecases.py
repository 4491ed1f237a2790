"""Evaluation cases in the shape of the performance: a prompt of both parts up to a cut, a span to play.

A `Case` is what the engine hands a model live: the last bars of the human's part and of the AI's own
part up to a cut on a bar line (ticks from the prompt's first bar line), the role, and the span the AI
must fill. It also keeps what the checks compare with: the human's notes through the span (the
human goes on playing while the AI plays) and, for held-out works, the AI part the composer wrote.

- chords, solo, duet: the cut falls mid-piece; the span is `SPAN_BARS` bars;
- trading: the cut is the start of an AI phrase; the span is that phrase, and the human phrase just
  before it is the one the answer should develop;
- a player's file (no AI part): cuts every few bars (trading: where the player rests after a phrase).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from conductor.backends.skytnt.roles import Meter, PartNote, Role
from conductor.train.metrics import NoteEvent
from conductor.train.pairs import Pair, bar_ticks, has_pickup

SPAN_BARS = 2
PROMPT_BARS = 8
PROMPT_NOTES = 200
TPB = 480


@dataclass(frozen=True)
class Case:
    """One prompt and span; ticks from the prompt's first bar line."""

    name: str
    role: Role
    meter: Meter
    human: tuple[PartNote, ...]  # the human's notes from the prompt's start to the span's end
    ai_prompt: tuple[PartNote, ...]  # the AI's own notes before the cut
    reference: tuple[PartNote, ...]  # the AI part as written, in the span (empty for a player)
    cut: int
    end: int
    phrase_start: int | None = None  # trading: the human phrase the answer follows

    def human_prompt(self) -> list[PartNote]:
        """The human's notes before the cut (what the model hears)."""
        return [n for n in self.human if n.start < self.cut]

    def phrase(self) -> list[NoteEvent] | None:
        """Trading: the human phrase just before the cut, as note events (else None)."""
        if self.phrase_start is None:
            return None
        return beats([n for n in self.human if self.phrase_start <= n.start < self.cut])


def beats(notes: Sequence[PartNote], channel: int = 0) -> list[NoteEvent]:
    """Part notes as metric note events (onsets and durations in beats)."""
    return [NoteEvent(n.start / TPB, n.pitch, n.duration / TPB, n.velocity, channel) for n in notes]


def case_at(pair: Pair, cut: int, span: int, name: str, max_notes: int = PROMPT_NOTES) -> Case | None:
    """The case cutting ``pair`` at bar ``cut`` with a span of ``span`` bars: a prompt of at most
    `PROMPT_BARS` bars and ``max_notes`` notes (None when the human has not played in it)."""
    end_bar = min(cut + span, len(pair.bars) - 1)
    first = cut
    count = 0
    while first > 0 and cut - first < PROMPT_BARS:
        more = sum(pair.bars[first - 1] <= n.start < pair.bars[first] for n in (*pair.human, *pair.ai))
        if count + more > max_notes:
            break
        first, count = first - 1, count + more
    lo, cut_t, hi = pair.bars[first], pair.bars[cut], pair.bars[end_bar]

    def part(notes: Sequence[PartNote], a: int, b: int) -> tuple[PartNote, ...]:
        return tuple(n._replace(start=n.start - lo) for n in notes if a <= n.start < b)

    human, ai_prompt, ref = part(pair.human, lo, hi), part(pair.ai, lo, cut_t), part(pair.ai, cut_t, hi)
    if not any(n.start < cut_t - lo for n in human) or end_bar <= cut:
        return None
    phrase = None
    if pair.role is Role.TRADING:
        phrase = max(lo, pair.bars[max(0, cut - pair.phrase_bars)]) - lo
    return Case(name, pair.role, pair.meter, human, ai_prompt, ref, cut_t - lo, hi - lo, phrase)


def pair_case(pair: Pair) -> Case | None:
    """One case per held-out pair: the middle AI phrase (trading) or the middle of the piece."""
    bars = len(pair.bars) - 1
    if pair.role is Role.TRADING:
        step, first = 2 * pair.phrase_bars, has_pickup(pair.bars) + pair.phrase_bars
        cuts = [c for c in range(first, bars - pair.phrase_bars + 1, step)]
        if not cuts:
            return None
        return case_at(pair, cuts[len(cuts) // 2], pair.phrase_bars, pair.name)
    if bars < SPAN_BARS + 2:
        return None
    case = case_at(pair, max(2, (bars - SPAN_BARS) // 2), SPAN_BARS, pair.name)
    return case if case is not None and case.reference else None


def player_cases(name: str, notes: Sequence[PartNote], meter: Meter, every: int = 8) -> list[Case]:
    """Cases for a player's own file (no AI part): for each role, a cut every ``every`` bars; trading
    cuts where a phrase of four bars ends and four bars of rest (but for a pickup) follow."""
    bar = bar_ticks(meter)
    total = max(n.start + n.duration for n in notes) // bar + 1
    bars = tuple(i * bar for i in range(total + 1))
    out: list[Case] = []
    for role in Role:
        pair = Pair(f"{name} | {role.value}", role, tuple(notes), (), bars, meter, 4)
        for cut in range(4, total - SPAN_BARS + 1, every if role is not Role.TRADING else 1):
            if role is Role.TRADING and not _phrase_then_rest(notes, bars, cut, 4):
                continue
            case = case_at(pair, cut, 4 if role is Role.TRADING else SPAN_BARS, f"{pair.name} @{cut}")
            if case is not None:
                out.append(case)
    return out


def _phrase_then_rest(notes: Sequence[PartNote], bars: Sequence[int], cut: int, size: int) -> bool:
    if cut + size >= len(bars) or cut < size:
        return False
    before = any(bars[cut - size] <= n.start < bars[cut] for n in notes)
    after = sum(bars[cut] <= n.start < bars[cut + size] for n in notes)
    return before and after <= 2  # a pickup into the next phrase may fall in the rest
