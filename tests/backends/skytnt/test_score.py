"""SkyTNT's score format: notes on the clock to score events and back."""

from __future__ import annotations

import pytest

from conductor.backends.skytnt.score import score_note_to_note, to_score
from conductor.core.events import Note, Source
from conductor.core.timebase import Timebase

TB = Timebase(bpm=120)  # 0.5 s a beat, 2 s a bar
H, A = Source.HUMAN, Source.AI


def test_to_score_one_timebase_for_human_and_ai() -> None:
    notes = [
        Note(3.0, 0.25, 67, 70, 2, A),
        Note(2.5, 0.5, 62, 80),
        Note(2.5, 0.5, 55, 81),
        Note(1.0, 0.5, 60, 90),  # before the origin: left out
    ]
    assert to_score(notes, 2.0, TB) == [
        480,
        [
            ["set_tempo", 0, 500000],
            ["note", 480, 480, 0, 55, 81],
            ["note", 480, 480, 0, 62, 80],
            ["note", 960, 240, 2, 67, 70],
        ],
    ]


def test_to_score_moves_channels_apart() -> None:
    notes = [Note(0.0, 0.5, 60, 90, 2, H), Note(0.5, 0.5, 64, 90, 0, A), Note(0.5, 0.5, 50, 90, 5, H)]
    assert to_score(notes, 0.0, Timebase(bpm=60), 96, ai_channel=2) == [
        96,
        [
            ["set_tempo", 0, 1000000],
            ["note", 0, 48, 0, 60, 90],
            ["note", 48, 48, 2, 64, 90],
            ["note", 48, 48, 5, 50, 90],
        ],
    ]
    assert to_score([Note(0.0, 0.5, 60, 90, 0, H)], 0.0, TB, ai_channel=0)[1][1] == [
        "note",
        0,
        480,
        1,
        60,
        90,
    ]


def test_score_round_trip() -> None:
    notes = [
        Note(2.25, 0.125, 72, 64, 0, H),
        Note(2.5, 1.5, 48, 1, 2, A),
        Note(4.0, 0.0, 127, 127, 2, A),
    ]
    score = to_score(notes, 2.0, TB)
    sources = {0: H, 2: A}
    back = [score_note_to_note(e, 2.0, TB, score[0], sources[e[3]]) for e in score[1][1:]]
    assert back == notes


def test_score_note_to_note_clamps_velocity_and_rejects_junk() -> None:
    assert score_note_to_note(["note", 96, 48, 2, 60, 0], 10.0, Timebase(bpm=60), 96) == Note(
        11.0, 0.5, 60, 1, 2, A
    )
    assert score_note_to_note(["note", 0, -5, 0, 60, 200], 0.0, TB, 96, H) == Note(0.0, 0.0, 60, 127)
    with pytest.raises(ValueError, match="not a score note event"):
        score_note_to_note(["set_tempo", 0, 500000], 0.0, TB, 96)
    with pytest.raises(ValueError, match="pitch must be in range"):
        score_note_to_note(["note", 0, 1, 0, 128, 64], 0.0, TB, 96)
