"""Tempo and feel of the human's playing: the beat period (rubato), the phase, and the swing of eighths.

`BeatTracker` follows the human's note onsets the way online beat trackers for performed MIDI do:
it predicts the next beats, and an onset near a prediction corrects it (Large & Kolen's adaptive
oscillator, 1994; Dixon's BeatRoot, 2001); the period is the slope of a line through the recent
(beat number, onset) pairs, newest weighing most, as score followers and tempo trackers estimate
local tempo by regression. The tempo prior is the piece's own tempo and grid: the tracker starts at
its bpm and bar 1's downbeat, so it needs no tempo induction and keeps the piece's beat numbering,
and its period stays within `PERIOD_BOUNDS` of the piece's.

Per onset (a chord's notes within `CHORD_S` count once):
- within `ON_BEAT` of a beat the grid expects, it is that beat: the pair joins the last `HISTORY`
  (two onsets near one beat: the closer one), the period is refitted and the beat placed between
  the fitted line and the onset (`PHASE_GAIN`); a missing note leaves a gap, a stray one near a beat
  is one point of eight, and one far from every beat does not touch the period at all;
- between beats, where it falls in the beat (0.5 straight, 2/3 swung 2:1) joins the eighths heard;
  the swing ratio long:short is read from the median of the last `EIGHTHS` of them (robust to
  strays), as swing-ratio estimators read the long-short position of the off-beat (Marchand &
  Peeters, "Swing ratio estimation", DAFx 2015).

While an external clock drives it (`clock`, from a MIDI clock source), each clock beat sets the grid
exactly and onsets no longer move it (their off-beats still give the swing); `release` (the clock was
lost) keeps the last tempo and lets the onsets move it again.

Pure and deterministic: times in, numbers out. Not thread-safe (the engine thread owns it); each
onset is O(`HISTORY` + `EIGHTHS`) work.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass

CHORD_S = 0.04  # onsets closer than this are one event (a chord, a rolled interval)
ON_BEAT = 0.2  # an onset within this fraction of a beat of an expected beat is that beat
SIGMA = 0.1  # an onset this many beats off its prediction weighs exp(-1/2) in the fit
PHASE_GAIN = 0.5  # how far a beat moves from the fitted line toward its onset
PERIOD_BOUNDS = (2 / 3, 3 / 2)  # the period stays within these multiples of the piece's
EIGHTHS = 16  # off-beat positions the swing ratio is the median of
EIGHTH_ZONE = (0.42, 0.72)  # where an off-beat eighth may fall in the beat: straight 0.5 .. swung 2.6:1
SWING_DEADBAND = 1.15  # a ratio below this is heard as straight
HISTORY = 8  # beats heard that the period is fitted to
DECAY = 0.7  # weight of a beat heard one beat earlier than the newest, in the fit
CONFIDENT_BEATS = 4  # on-beat onsets before the tracker's grid is used


@dataclass(frozen=True, slots=True)
class BeatGrid:
    """A tracked grid, frozen: beat k is at `anchor + k·period`; eighths swung `swing`:1 (1: straight)."""

    anchor: float
    period: float
    swing: float = 1.0

    def beat_at(self, t: float) -> float:
        """The grid position (in beats, straight) of time `t`."""
        return (t - self.anchor) / self.period

    def time_of(self, beats: float) -> float:
        """The time of grid position `beats`, its eighths swung: the beat's first half is stretched to
        `swing/(1+swing)` of the beat, the second squeezed into the rest (monotonic, 1 is identity)."""
        whole = math.floor(beats)
        return self.anchor + (whole + swung_fraction(beats - whole, self.swing)) * self.period


def swung_fraction(f: float, swing: float) -> float:
    """Where straight position `f` in [0, 1) of a beat falls when eighths are swung `swing`:1."""
    long = swing / (1.0 + swing)
    if f < 0.5:
        return f * 2.0 * long
    return long + (f - 0.5) * 2.0 * (1.0 - long)


class BeatTracker:
    """Follows the human's onsets from the piece's tempo `bpm` and grid (see the module docstring)."""

    def __init__(self, bpm: float, origin: float = 0.0) -> None:
        self.nominal = 60.0 / bpm
        self.period = self.nominal
        self.anchor = origin  # a beat time of the tracked grid (the latest corrected one)
        self.beats_heard = 0  # on-beat onsets so far
        self._last_onset = -math.inf
        self._eighths: deque[float] = deque(maxlen=EIGHTHS)
        self._beat = 0  # the beat number of `anchor` (bar 1's downbeat is 0)
        self._before = (origin, self.period, 0)  # (anchor, period, beat) before the last beat was taken
        self._heard: deque[tuple[int, float, float]] = deque(maxlen=HISTORY)  # (beat, onset, error)
        self.clocked = False  # an external clock drives the grid (onsets do not move it)

    @property
    def bpm(self) -> float:
        """The tracked tempo."""
        return 60.0 / self.period

    @property
    def confident(self) -> bool:
        """Has it heard enough beats for its grid to be used?"""
        return self.beats_heard >= CONFIDENT_BEATS

    def onset(self, t: float) -> None:
        """A human note began at `t` (onsets in non-decreasing order; a chord's notes count once)."""
        if t - self._last_onset < CHORD_S:
            return
        self._last_onset = t
        if not self.clocked and self._heard and self._retake(t):
            return
        position = (t - self.anchor) / self.period
        nearest = round(position)
        error = position - nearest  # in beats, within [-0.5, 0.5]
        if abs(error) <= ON_BEAT:
            if self.clocked:
                return
            self._correct(self._beat + nearest, t, error)
        else:
            fraction = position - math.floor(position)
            if EIGHTH_ZONE[0] <= fraction <= EIGHTH_ZONE[1]:
                self._eighths.append(fraction)

    def clock(self, t: float, period: float | None) -> None:
        """An external clock's beat at `t`, `period` seconds long (None: the period so far): the grid
        is that beat, exactly, and confident at once."""
        self.clocked = True
        self.anchor = t
        self.period = self.period if period is None or period <= 0 else period
        self.beats_heard = max(self.beats_heard, CONFIDENT_BEATS)

    def release(self) -> None:
        """The clock is gone: keep its last tempo and phase; onsets move the grid again from there."""
        self.clocked = False
        self._heard.clear()

    def _retake(self, t: float) -> bool:
        """An onset near the beat heard last, closer to where the grid expected it than the onset taken:
        take this one instead (a stray came first). True if `t` belonged to that beat."""
        anchor, period, beat = self._before
        error = (t - anchor) / period - (self._heard[-1][0] - beat)
        if abs(error) > ON_BEAT:
            return False
        if abs(error) < abs(self._heard[-1][2]):
            self.anchor, self.period, self._beat = self._before
            taken = self._heard.pop()
            self.beats_heard -= 1
            self._correct(taken[0], t, error)
        return True

    def _correct(self, beat: int, t: float, error: float) -> None:
        """An onset at `t`, `error` beats from where the grid expected beat number `beat`: re-anchor there
        and refit the period and phase to the recent beats heard."""
        self._before = (self.anchor, self.period, self._beat)
        expected = self.anchor + (beat - self._beat) * self.period
        self._heard.append((beat, t, error))
        self.beats_heard += 1
        self.anchor, self.period = self._fit(beat, t, expected)
        self._beat = beat

    def _fit(self, beat: int, t: float, expected: float) -> tuple[float, float]:
        """Time of `beat` and the period: a weighted line through the recent (beat, time) pairs, the
        newest weighing most; with too few, the phase moved by `PHASE_GAIN` of the error."""
        if len(self._heard) < 3 or self._heard[-1][0] - self._heard[0][0] < 2:
            return expected + PHASE_GAIN * (t - expected), self.period
        weights = [DECAY ** (beat - b) * math.exp(-0.5 * (e / SIGMA) ** 2) for b, _, e in self._heard]
        total = sum(weights)
        mean_b = sum(w * b for w, (b, _, _) in zip(weights, self._heard, strict=True)) / total
        mean_t = sum(w * x for w, (_, x, _) in zip(weights, self._heard, strict=True)) / total
        var = sum(w * (b - mean_b) ** 2 for w, (b, _, _) in zip(weights, self._heard, strict=True))
        cov = sum(w * (b - mean_b) * (x - mean_t) for w, (b, x, _) in zip(weights, self._heard, strict=True))
        low, high = (self.nominal * bound for bound in PERIOD_BOUNDS)
        period = min(high, max(low, cov / var))
        fitted = mean_t + (beat - mean_b) * period
        return fitted + PHASE_GAIN * (t - fitted), period

    @property
    def swing(self) -> float:
        """The swing ratio of the eighths heard (long:short; 1.0 straight or not enough heard)."""
        if len(self._eighths) < 4:
            return 1.0
        position = statistics.median(self._eighths)
        ratio = position / (1.0 - position)
        return ratio if ratio >= SWING_DEADBAND else 1.0

    def phase(self, t: float) -> float:
        """Where `t` falls in the tracked beat, in [0, 1)."""
        position = (t - self.anchor) / self.period
        return position - math.floor(position)

    def grid(self) -> BeatGrid:
        """The tracked grid now, straight (whoever places notes on it chooses the swing)."""
        return BeatGrid(self.anchor, self.period)
