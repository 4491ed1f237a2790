"""The tempo and feel tracker on synthetic playing: contracts with tolerances derived from the input."""

from __future__ import annotations

import random

import pytest

from conductor.core.beats import HISTORY, BeatGrid, BeatTracker, swung_fraction

START_BPM, END_BPM, BEATS = 100.0, 140.0, 64


def accelerando(rng: random.Random, drop: float = 0.0, wrong: float = 0.0) -> list[tuple[float, float]]:
    """Eighths from 100 to 140 bpm over 64 beats: (onset, the true period at that beat) pairs; `drop` of
    the notes missing, and after `wrong` of them a stray onset anywhere in the same beat."""
    events, t = [], 0.0
    for k in range(BEATS):
        period = 60.0 / (START_BPM + (END_BPM - START_BPM) * k / (BEATS - 1))
        for onset in (t, t + period / 2):
            if rng.random() >= drop:
                events.append((onset, period))
            if rng.random() < wrong:
                events.append((onset + rng.uniform(0.05, period / 2 - 0.05), period))
        t += period
    return events


def worst_period_error(events: list[tuple[float, float]], after_beats: int) -> float:
    tracker = BeatTracker(START_BPM)
    errors = []
    for onset, period in events:
        tracker.onset(onset)
        if tracker.beats_heard >= after_beats:
            errors.append(abs(tracker.period - period) / period)
    return max(errors)


# The true period shrinks by at most this share per beat; a fit over recent beats, newest weighing most,
# lags the true period by the change over about half its history.
STEP = 1 - (START_BPM + (END_BPM - START_BPM) / (BEATS - 1)) / (
    START_BPM + 2 * (END_BPM - START_BPM) / (BEATS - 1)
)
LAG = abs(STEP) * HISTORY / 2


def test_the_period_follows_an_accelerando() -> None:
    assert worst_period_error(accelerando(random.Random(1)), HISTORY) <= LAG


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_period_survives_dropped_and_wrong_notes(seed: int) -> None:
    events = accelerando(random.Random(seed), drop=0.1, wrong=0.1)
    assert worst_period_error(events, HISTORY) <= 2 * LAG  # a stray near a beat is one point in eight


def swung(rng: random.Random, ratio: float, drop: float = 0.0, wrong: float = 0.0) -> BeatTracker:
    """Swung eighths at 132 bpm (the long one `ratio` times the short one), through a tracker."""
    period, tracker = 60.0 / 132, BeatTracker(132)
    for k in range(BEATS):
        for onset in (k * period, k * period + period * ratio / (1 + ratio)):
            if rng.random() >= drop:
                tracker.onset(onset)
            if rng.random() < wrong:
                tracker.onset(onset + rng.uniform(0.05, period / 3))
    return tracker


def test_the_swing_ratio_of_two_to_one_eighths() -> None:
    tracker = swung(random.Random(0), 2.0)
    assert tracker.swing == pytest.approx(2.0, abs=1e-6)
    assert tracker.bpm == pytest.approx(132, abs=1e-6)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_swing_ratio_survives_dropped_and_wrong_notes(seed: int) -> None:
    tracker = swung(random.Random(seed), 2.0, drop=0.1, wrong=0.1)
    # the median of 16 off-beats: a few strays move it by at most one neighbour's worth; a 2:1 off-beat
    # at 2/3 of the beat read between 0.62 and 0.70 of it gives a ratio of 1.6 .. 2.4
    assert 1.6 <= tracker.swing <= 2.4
    assert tracker.bpm == pytest.approx(132, rel=0.02)


def test_straight_eighths_are_straight() -> None:
    assert swung(random.Random(0), 1.0).swing == 1.0


def test_phase_follows_a_player_who_started_late() -> None:
    tracker = BeatTracker(120)
    for k in range(16):
        tracker.onset(0.1 + k * 0.5)  # on the piece's tempo, 100 ms behind its grid
    assert tracker.phase(8.1) == pytest.approx(0.0, abs=0.01)
    assert tracker.confident


def test_a_grid_swings_its_eighths_and_keeps_its_beats() -> None:
    grid = BeatGrid(anchor=1.0, period=0.5, swing=2.0)
    assert [grid.time_of(b) for b in (0, 0.5, 1, 2.5)] == pytest.approx([1.0, 1 + 1 / 3, 1.5, 2 + 1 / 3])
    assert grid.beat_at(2.0) == 2.0
    assert [swung_fraction(f, 1.0) for f in (0.0, 0.25, 0.5, 0.75)] == [0.0, 0.25, 0.5, 0.75]


def test_a_clock_sets_the_grid_and_onsets_do_not_move_it() -> None:
    tracker = BeatTracker(120.0)
    tracker.clock(1.0, 0.6)
    assert tracker.confident and tracker.grid() == BeatGrid(1.0, 0.6)
    for t in (1.55, 2.1, 2.65):  # a human rushing every beat by 50 ms
        tracker.onset(t)
    assert tracker.grid() == BeatGrid(1.0, 0.6)
    for k in range(8):  # swung off-beats still give the swing
        tracker.onset(1.0 + 0.6 * k + 0.4)
    assert tracker.swing == pytest.approx(2.0)


def test_a_released_clock_keeps_its_tempo_and_onsets_move_it_again() -> None:
    tracker = BeatTracker(120.0)
    tracker.clock(1.0, 0.6)
    tracker.release()
    assert tracker.bpm == pytest.approx(100.0)
    tracker.onset(1.65)  # 50 ms after the next beat: the phase moves toward it
    assert tracker.anchor == pytest.approx(1.625)
    assert tracker.period == pytest.approx(0.6)
