"""Answers made of what was just played: a small bias toward (or away from) the turn's material.

`AnswerBias` is made per generation from the request (`answer`, the human's `turn`), follows the
answer as it is decoded (`played`), and before each note tells a decoder which next pitches and
which inter-onset intervals to favour: additive log-weights (0 for everything else), so a backend
adds them to its logits (SkyTNT) or multiplies its counts by their exponential (Markov). Masks and
constraints still decide what is allowed; a bias only tilts the choice among it.

- `develop`: the next pitch that continues one of the turn's interval n-grams — the longest suffix
  of the answer's own intervals (up to `NGRAM` - 1) found in the turn's line, followed by the
  interval that came next there — and the next inter-onset value the same way from the turn's
  rhythm (its rhythm cells). The first note is free.
- `sequence`: the turn's opening motif (`NGRAM` + 1 notes of its line, with its rhythm) a step up
  (a scale step in the key when there is one, else a whole tone) as a strong prefix, then develop.
- `contrast`: the turn's register (its lowest to highest pitch) and its inter-onset values
  discouraged, and develop over the turn's intervals inverted (its contour upside down).
- `free`: no bias (`answer_bias` returns None).

Times are steps of 1/`STEPS_PER_BEAT` beat from the request's origin. Pure; not thread-safe (one
generation owns one).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from conductor.core.events import Note
from conductor.core.timebase import Timebase

STEPS_PER_BEAT = 16  # the SkyTNT tokenizer's time2 resolution
NGRAM = 3  # intervals in an n-gram, as `conductor evaluate` counts answer overlap
STRENGTH = 3.0  # log-weight of a favoured value: ~20 times as likely (1.5 barely moved a trained model)
PREFIX_STRENGTH = 6.0  # log-weight of the sequence's prefix: about 400 times as likely
CHORD_S = 0.03  # onsets this close are one chord; its highest pitch is the line
MAX_IOI = 4 * STEPS_PER_BEAT  # longer gaps are rests between phrases, not rhythm
WHOLE_TONE = 2

Weights = dict[int, float]


@dataclass(frozen=True, slots=True)
class Material:
    """The turn as a line: the highest pitch of each onset, and the inter-onset values between them."""

    line: tuple[int, ...]
    onsets: tuple[int, ...]  # steps from the origin

    @classmethod
    def of(cls, notes: Iterable[Note], origin: float, tb: Timebase) -> Material:
        """The line of `notes` (any order) on a timebase whose step 0 is `origin`."""
        line: list[int] = []
        onsets: list[int] = []
        first = -1.0
        for note in sorted(notes, key=lambda n: (n.onset, -n.pitch)):
            if line and note.onset - first <= CHORD_S:
                continue  # a lower (or equal) note of the same chord
            first = note.onset
            line.append(note.pitch)
            onsets.append(round(tb.beats(note.onset - origin) * STEPS_PER_BEAT))
        return cls(tuple(line), tuple(onsets))

    @property
    def intervals(self) -> tuple[int, ...]:
        """Signed semitones from each line note to the next."""
        return tuple(b - a for a, b in itertools.pairwise(self.line))

    @property
    def iois(self) -> tuple[int, ...]:
        """Steps from each onset to the next, rests between phrases left out."""
        return tuple(d for a, b in itertools.pairwise(self.onsets) if 0 < (d := b - a) <= MAX_IOI)


def continuations(seq: Sequence[int], history: Sequence[int], n: int = NGRAM) -> set[int]:
    """Values that follow, somewhere in `seq`, the longest suffix of `history` (at most n - 1 long)
    that occurs in it; every value of `seq` when no suffix does (or `history` is empty)."""
    for k in range(min(n - 1, len(history)), 0, -1):
        suffix = tuple(history[-k:])
        found = {seq[i + k] for i in range(len(seq) - k) if tuple(seq[i : i + k]) == suffix}
        if found:
            return found
    return set(seq)


def step_up(pitch: int, scale: frozenset[int] | None) -> int:
    """The next pitch above `pitch` in `scale` (a scale tone; otherwise, or without a scale, a whole
    tone up)."""
    if scale is None or pitch % 12 not in scale:
        return pitch + WHOLE_TONE
    return next(p for p in range(pitch + 1, pitch + 13) if p % 12 in scale)


@dataclass(slots=True)
class AnswerBias:
    """The bias of one answer (see the module docstring); `played` after every decoded note."""

    strategy: str
    turn: Material
    scale: frozenset[int] | None = None  # the key's pitch classes (a sequence's scale step)
    line: list[int] = field(default_factory=list)  # the answer's line so far
    onsets: list[int] = field(default_factory=list)

    def played(self, pitch: int, onset: int) -> None:
        """A note of the answer was decoded: `pitch` starting at step `onset` (chords: the highest)."""
        if self.onsets and onset == self.onsets[-1]:
            self.line[-1] = max(self.line[-1], pitch)
            return
        self.line.append(pitch)
        self.onsets.append(onset)

    def pitches(self) -> Weights:
        """Log-weights of the next note's pitch (absent: 0)."""
        if self._in_prefix():
            return {p: PREFIX_STRENGTH for p in self._motif()[len(self.line) : len(self.line) + 1]}
        if not self.line:
            return self._register() if self.strategy == "contrast" else {}
        sign = -1 if self.strategy == "contrast" else 1  # contrast: the turn's contour upside down
        seq = tuple(sign * i for i in self.turn.intervals)
        nexts = continuations(seq, _steps(self.line)) if seq else set()
        out = {self.line[-1] + i: STRENGTH for i in nexts if 0 <= self.line[-1] + i <= 127}
        if self.strategy == "contrast":
            for p, w in self._register().items():
                out[p] = out.get(p, 0.0) + w
        return out

    def iois(self) -> Weights:
        """Log-weights of the steps from the answer's last onset to its next (empty for the first)."""
        if not self.onsets or not self.turn.iois:
            return {}
        if self._in_prefix():
            at = len(self.onsets) - 1
            return {self.turn.iois[at]: PREFIX_STRENGTH} if at < len(self.turn.iois) else {}
        if self.strategy == "contrast":
            return {d: -STRENGTH for d in set(self.turn.iois)}
        mine = [d for a, b in itertools.pairwise(self.onsets) if 0 < (d := b - a) <= MAX_IOI]
        return {d: STRENGTH for d in continuations(self.turn.iois, mine)}

    def _in_prefix(self) -> bool:
        return self.strategy == "sequence" and len(self.line) < len(self._motif())

    def _motif(self) -> list[int]:
        return [step_up(p, self.scale) for p in self.turn.line[: NGRAM + 1]]

    def _register(self) -> Weights:
        if not self.turn.line:
            return {}
        return {p: -STRENGTH for p in range(min(self.turn.line), max(self.turn.line) + 1)}


def _steps(line: Sequence[int]) -> list[int]:
    return [b - a for a, b in itertools.pairwise(line)]


def answer_bias(
    strategy: str, turn: Sequence[Note], origin: float, tb: Timebase, scale: frozenset[int] | None = None
) -> AnswerBias | None:
    """The bias of an answer to `turn` (None: `free`, or a turn with no line to answer)."""
    material = Material.of(turn, origin, tb)
    if strategy == "free" or not material.line:
        return None
    return AnswerBias(strategy, material, scale)
