"""The musical metrics: pure functions over notes (times in seconds), each defined in its docstring.

docs/evaluate.md gives the same definitions with the reasons for each choice. Shares come back as a
`Ratio` (hits of a total), so a whole take pools its sections' counts instead of averaging their
shares. Nothing here reads files or the clock.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from conductor.core.events import Note

CLUSTER_S = 0.03  # notes starting within 30 ms of a cluster's first onset are struck at once
SYNC_S = 0.06  # an AI onset within ±60 ms of a human onset is with the human
ZERO_S = 0.02  # a note shorter than 20 ms is zero-length (a blip, or a re-strike cut it)
NGRAM = 3  # intervals in each n-gram of answer overlap (4 notes of the line)


@dataclass(frozen=True, slots=True)
class Ratio:
    """`hits` of `total` (hits may be fractional: an expected count); `value` is None when total is 0."""

    hits: float = 0.0
    total: int = 0

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.hits + other.hits, self.total + other.total)


def within(notes: Sequence[Note], start: float, end: float) -> list[Note]:
    """The notes with onsets in [start, end), of `notes` sorted by onset (as a take's are)."""
    lo = bisect.bisect_left(notes, start, key=_onset)
    return list(notes[lo : bisect.bisect_left(notes, end, lo=lo, key=_onset)])


def _onset(note: Note) -> float:
    return note.onset


def clusters(notes: Sequence[Note], window: float = CLUSTER_S) -> list[list[Note]]:
    """Notes grouped in onset order: a cluster starts at a note's onset and takes every following
    note that starts within `window` of that first onset (anchored, as the chords filter groups)."""
    out: list[list[Note]] = []
    for note in sorted(notes, key=lambda n: (n.onset, n.pitch)):
        if out and note.onset <= out[-1][0].onset + window + 1e-9:
            out[-1].append(note)
        else:
            out.append([note])
    return out


def top_line(notes: Sequence[Note]) -> list[int]:
    """The line of a part: the highest pitch of each onset cluster, in time order."""
    return [max(n.pitch for n in cluster) for cluster in clusters(notes)]


def attacks(notes: Sequence[Note]) -> list[float]:
    """The onset of each cluster: the moments a part strikes, however many notes at once."""
    return [cluster[0].onset for cluster in clusters(notes)]


def longest_run(notes: Sequence[Note]) -> int:
    """The most consecutive equal pitches in the part's line (`top_line`); 0 without notes."""
    best = run = 0
    previous: int | None = None
    for pitch in top_line(notes):
        run = run + 1 if pitch == previous else 1
        best = max(best, run)
        previous = pitch
    return best


def largest_cluster(notes: Sequence[Note], window: float = CLUSTER_S) -> int:
    """The most notes starting within `window` of one another: for each note, the notes with onsets
    in [its onset, its onset + window]; the largest such count (0 without notes)."""
    onsets = sorted(n.onset for n in notes)
    return max((bisect.bisect_right(onsets, t + window + 1e-9) - i for i, t in enumerate(onsets)), default=0)


def zero_length(notes: Sequence[Note]) -> int:
    """Notes shorter than `ZERO_S`. A re-strike of a pitch still sounding ends the sounding note at
    the re-strike (the tracker and the scheduler both close it first), so a pitch struck twice
    within 20 ms leaves one of these behind."""
    return sum(1 for n in notes if n.duration < ZERO_S)


def in_key(notes: Sequence[Note], pitch_classes: Collection[int]) -> Ratio:
    """Notes whose pitch class is in `pitch_classes` (a key's scale), of all notes."""
    return Ratio(sum(1 for n in notes if n.pitch % 12 in pitch_classes), len(notes))


def cosine(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Cosine similarity of two vectors (pitch-class histograms); None when either is all zeros."""
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / norm if norm else None


def interval_ngrams(pitches: Sequence[int], n: int = NGRAM) -> list[tuple[int, ...]]:
    """Every run of `n` consecutive intervals (semitones, signed) of a line: transposition-free."""
    steps = [b - a for a, b in itertools.pairwise(pitches)]
    return [tuple(steps[i : i + n]) for i in range(len(steps) - n + 1)]


def answer_overlap(answer: Sequence[Note], phrase: Sequence[Note]) -> Ratio:
    """Of the answer's interval n-grams (of its line), those that also occur in the phrase's line."""
    heard = set(interval_ngrams(top_line(phrase)))
    grams = interval_ngrams(top_line(answer))
    return Ratio(sum(1 for g in grams if g in heard), len(grams))


def presence(onsets: Sequence[float], units: Sequence[tuple[float, float]]) -> Ratio:
    """Units ([start, end) spans: bars, or AI turns) in which at least one onset lies, of all units."""
    ordered = sorted(onsets)
    hits = sum(1 for lo, hi in units if bisect.bisect_left(ordered, hi) > bisect.bisect_left(ordered, lo))
    return Ratio(hits, len(units))


def coverage(centres: Sequence[float], lo: float, hi: float, radius: float = SYNC_S) -> float:
    """The share of [lo, hi) within `radius` of some centre (sorted): the chance that a uniformly
    random time in the span falls within `radius` of one of them."""
    if hi <= lo:
        return 0.0
    covered, reach = 0.0, lo
    for c in centres[bisect.bisect_left(centres, lo - radius) :]:
        if c - radius >= hi:
            break
        start, end = max(c - radius, reach), min(c + radius, hi)
        covered += max(0.0, end - start)
        reach = max(reach, end)
    return covered / (hi - lo)


def onset_sync(
    ai_onsets: Sequence[float], human_onsets: Sequence[float], bars: Sequence[tuple[float, float]]
) -> tuple[Ratio, Ratio]:
    """(sync, random): AI onsets within `SYNC_S` of a human onset, and the same count expected of
    random onsets placed uniformly in the same bars (one for each AI onset in the bar it fell in).

    `bars` are the section's bars in time order; an AI onset outside them counts in neither."""
    centres = sorted(human_onsets)
    starts = [lo for lo, _ in bars]
    chances = [coverage(centres, lo, hi) for lo, hi in bars]
    sync = chance = 0.0
    total = 0
    for t in ai_onsets:
        i = bisect.bisect_right(starts, t) - 1
        if i < 0 or t >= bars[i][1]:
            continue
        j = bisect.bisect_left(centres, t - SYNC_S)
        sync += 1.0 if j < len(centres) and centres[j] <= t + SYNC_S else 0.0
        chance += chances[i]
        total += 1
    return Ratio(sync, total), Ratio(chance, total)
