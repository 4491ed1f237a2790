"""Answer strategies as bias vectors: which pitches and inter-onset values each one favours."""

from __future__ import annotations

import pytest

from conductor.backends.answers import (
    PREFIX_STRENGTH,
    STRENGTH,
    AnswerBias,
    Material,
    answer_bias,
    continuations,
    step_up,
)
from conductor.core.events import Note, Source
from conductor.core.keys import parse_key
from conductor.core.timebase import Timebase

TB = Timebase(120.0, 4, 4)  # a beat is half a second: 16 steps
C_MAJOR = parse_key("C major").pitch_classes
# C D E, then F G a quarter later: eighths are 8 steps; a G under the first C is not the line
TURN = (
    Note(0.0, 0.25, 60, 80, 0, Source.HUMAN),
    Note(0.0, 0.25, 55, 80, 0, Source.HUMAN),  # under the C: not the line
    Note(0.25, 0.25, 62, 80),
    Note(0.5, 0.25, 64, 80),
    Note(1.0, 0.25, 65, 80),  # a quarter later: 16 steps
    Note(1.25, 0.25, 67, 80),
)


def bias(strategy: str) -> AnswerBias:
    made = answer_bias(strategy, TURN, 0.0, TB, C_MAJOR)
    assert made is not None
    return made


def test_the_material_is_the_top_line_and_its_rhythm() -> None:
    m = Material.of(TURN, 0.0, TB)
    assert m.line == (60, 62, 64, 65, 67) and m.onsets == (0, 8, 16, 32, 40)
    assert m.intervals == (2, 2, 1, 2) and m.iois == (8, 8, 16, 8)


def test_continuations_back_off_from_the_longest_suffix_found() -> None:
    assert continuations((2, 2, 1, 2), [2, 2]) == {1}
    assert continuations((2, 2, 1, 2), [7, 2]) == {2, 1}  # (7, 2) unheard: after a 2 came 2 or 1
    assert continuations((2, 2, 1, 2), []) == {1, 2}


def test_develop_favours_the_pitch_that_continues_the_turns_intervals() -> None:
    b = bias("develop")
    assert b.pitches() == {} and b.iois() == {}  # the first note is free
    b.played(70, 100)
    b.played(72, 108)
    b.played(72, 108)  # a chord note on the same onset: the line keeps its highest
    assert b.line == [70, 72]
    assert b.pitches() == {74: STRENGTH, 73: STRENGTH}  # +2 was followed by +2 or +1
    b.played(74, 116)
    assert b.pitches() == {75: STRENGTH}  # (+2, +2) → +1
    assert b.iois() == {16: STRENGTH}  # (8, 8) → 16: the turn's rhythm cell


def test_sequence_plays_the_opening_motif_a_scale_step_up_then_develops() -> None:
    b = bias("sequence")
    assert [step_up(p, C_MAJOR) for p in (60, 64, 65)] == [62, 65, 67] and step_up(61, C_MAJOR) == 63
    assert b.pitches() == {62: PREFIX_STRENGTH}
    for pitch, onset, ioi in ((62, 0, 8), (64, 8, 8), (65, 16, 16)):
        b.played(pitch, onset)
        assert b.iois() == {ioi: PREFIX_STRENGTH}
    assert b.pitches() == {67: PREFIX_STRENGTH}
    b.played(67, 32)
    assert b.pitches() == {69: STRENGTH, 68: STRENGTH}  # the prefix done: develop (+2 → +2 | +1)


def test_contrast_leaves_the_register_inverts_the_contour_and_other_rhythms() -> None:
    b = bias("contrast")
    register = {p: -STRENGTH for p in range(60, 68)}
    assert b.pitches() == register
    b.played(76, 0)
    b.played(74, 8)
    assert b.pitches() == {72: STRENGTH, 73: STRENGTH} | register  # the turn's -2 → -2 | -1, inverted
    assert b.iois() == {8: -STRENGTH, 16: -STRENGTH}


@pytest.mark.parametrize("turn", [TURN, ()])
def test_free_or_nothing_heard_is_no_bias(turn: tuple[Note, ...]) -> None:
    assert answer_bias("free", turn, 0.0, TB) is None
    assert answer_bias("develop", (), 0.0, TB) is None
