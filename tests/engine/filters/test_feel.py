"""The feel stage: the AI's notes moved onto the human's tracked grid, with the section's feel."""

from __future__ import annotations

import mido
import pytest

from conductor.core.beats import BeatGrid, BeatTracker
from conductor.core.events import Note, Source
from conductor.core.timebase import Timebase
from conductor.engine.filters import FilterContext, apply_filters
from conductor.engine.filters.feel import SWING, feel_grid
from conductor.piece.names import Feel
from tests.engine.pieces import bars, piece, section
from tests.engine.test_engine import make, run_until

TB = Timebase(bpm=120)  # a beat is 0.5 s


def eighths(start: float, count: int) -> list[Note]:
    return [Note(start + 0.25 * k, 0.2, 60 + k, 80, 0, Source.AI) for k in range(count)]


def tracker(onsets: list[float], bpm: float = 120) -> BeatTracker:
    beats = BeatTracker(bpm)
    for t in onsets:
        beats.onset(t)
    return beats


def test_notes_move_to_a_later_and_slower_human_beat() -> None:
    grid = BeatGrid(anchor=2.1, period=0.6)  # the human: beat 0 at 2.1 s, 100 bpm
    out = apply_filters((), eighths(2.0, 4), FilterContext(2.0, 6.0, timebase=TB, beats=grid))
    assert [x.onset for x in out] == pytest.approx([2.1, 2.4, 2.7, 3.0])  # beats and eighths at 100 bpm
    assert [x.duration for x in out] == pytest.approx([0.24] * 4)  # 0.4 of a beat, at the human's beat


def test_swung_eighths_and_a_turn_kept_whole() -> None:
    grid = BeatGrid(anchor=0.0, period=0.5, swing=2.0)
    ctx = FilterContext(2.0, 4.0, timebase=TB, clip=True, beats=grid)
    out = apply_filters((), [*eighths(2.0, 4), Note(3.99, 0.2, 70, 80, 0, Source.AI)], ctx)
    assert [x.onset for x in out] == pytest.approx([2.0, 2 + 1 / 3, 2.5, 2.5 + 1 / 3])  # 3.99: no room left
    assert max(x.end for x in out) <= 4.0


def test_a_swung_sixteenth_is_never_squeezed_to_a_click() -> None:
    grid = BeatGrid(anchor=0.0, period=0.5, swing=2.0)  # the off-beat eighth at 1/3 of the beat
    sixteenth = Note(2.25 + 0.0625, 0.06, 62, 80, 0, Source.AI)  # the 16th after the off-beat eighth
    short = Note(2.0, 0.015, 64, 80, 0, Source.AI)  # on the beat, where swing stretches time
    out = apply_filters((), [short, sixteenth], FilterContext(2.0, 4.0, timebase=TB, beats=grid))
    assert out[0].duration == pytest.approx(0.02)  # stretched as the grid stretches it
    assert out[1].duration == pytest.approx(0.04)  # the grid would squeeze it to 0.02 s: held at 0.04 s


def test_a_note_never_moves_before_the_window() -> None:
    grid = BeatGrid(anchor=-0.1, period=0.5)  # the human plays 100 ms ahead
    out = apply_filters((), eighths(2.0, 2), FilterContext(2.0, 4.0, timebase=TB, beats=grid))
    assert [x.onset for x in out] == pytest.approx([2.0, 2.15])


def test_feel_grid_chooses_the_swing() -> None:
    swinging = tracker([k * 0.5 + d for k in range(16) for d in (0.0, 1 / 3)])
    straight = tracker([k * 0.25 for k in range(32)])
    follow = feel_grid(Feel.FOLLOW, swinging, TB)
    assert follow is not None and follow.swing == pytest.approx(2.0) and follow.period == pytest.approx(0.5)
    assert follow.beat_at(0.0) == pytest.approx(round(follow.beat_at(0.0)))  # on the piece's beats
    assert feel_grid(Feel.STRAIGHT, swinging, TB) is None  # on the piece's grid already: left alone
    assert feel_grid(Feel.FOLLOW, straight, TB) is None
    assert feel_grid(Feel.SWING, straight, TB) == BeatGrid(0.0, 0.5, SWING)
    assert feel_grid(Feel.SWING, None, TB) == BeatGrid(0.0, 0.5, SWING)


def test_the_engine_answers_on_the_beat_of_a_human_who_plays_slower() -> None:
    """A human at 108 bpm in a 120 bpm piece: the AI's onsets land on the human's beats, not the piece's."""
    clock, engine, take = make(piece(section("a", length=bars(8))))
    period = 60 / 108
    played = [(k * period, mido.Message("note_on", note=48, velocity=70)) for k in range(28)]
    played += [(k * period + 0.3, mido.Message("note_off", note=48)) for k in range(28)]
    run_until(clock, engine, 15.0, sorted(played, key=lambda item: item[0]))
    tracked = engine.answering.beats
    assert tracked is not None and tracked.bpm == pytest.approx(108, rel=1e-6)
    starts = {g.start for g in take.generations}  # a note the human's beat puts earlier waits for these
    late = [t for t, m in take.ai_messages if m.type == "note_on" and t >= 4.0 and t not in starts]
    assert len(late) >= 16, "the AI played"
    eighths_of_the_human = [abs(2 * t / period - round(2 * t / period)) for t in late]
    assert max(eighths_of_the_human) < 1e-6  # the scripted model plays eighths of the piece's grid
