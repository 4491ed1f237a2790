"""safe_context_score: the performer's notes survive every quirk; dropped_notes finds the losses."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conductor.backends.skytnt import get_tokenizer
from conductor.backends.skytnt.tokenizer.safe_context import dropped_notes, safe_context_score

NASTY = [
    480,
    [
        ["set_tempo", 0, 500000],
        ["note", 0, 480, 0, 60, 100],
        ["note", 0, 480, 0, 64, 90],
        ["note", 0, 480, 0, 67, 80],
        ["note", 0, 480, 0, 67, 0],  # the zero-velocity trap
        ["note", 960, 480, 0, 62, 70],
        ["note", 970, 480, 0, 62, 75],  # a unison in the same 16th
        ["note", 480 * 70, 480 * 200, 0, 65, 70],  # after a 68-beat gap, and 200 beats long
        ["note", 480 * 140, 480, 0, 66, 70],  # after a 70-beat gap: 138 beats after the last row
    ],
]


def test_dropped_notes_names_each_lost_note() -> None:
    assert dropped_notes(NASTY, get_tokenizer("v1")) == [(0, 1), (0, 3), (0, 5), (0, 7), (0, 8)]
    assert dropped_notes(NASTY, get_tokenizer("v2")) == [(0, 3), (0, 5), (0, 7), (0, 8)]


@pytest.mark.parametrize("name", ["v1", "v2", "v2o"])
def test_safe_context_keeps_every_playable_note(name: str) -> None:
    tok = get_tokenizer(name)
    safe = safe_context_score(NASTY, tok)
    assert dropped_notes(safe.score, tok) == []
    notes = [e for e in safe.score[1] if e[0] == "note"]
    assert [e[4] for e in notes] == [60, 64, 67, 62, 62, 65, 66]  # only the silent copy is gone
    # gaps of 68 and 70 beats were closed to 64 by moving older material later, 10 beats in all
    assert safe.offset_ticks == 10 * 480
    assert notes[-1][1] + safe.offset_ticks == 480 * 140  # the newest note keeps its place
    assert notes[5][2] == 61410  # clipped just under 128 beats
    assert notes[4][1:3] == [990, 460]  # nudged to the next 16th, same end
    assert "removed silent (velocity 0) or unplayable notes" in safe.fixes


def test_v1_opening_chord_gets_distinct_durations() -> None:
    chord = [480, [["note", 0, 480, 0, p, 90] for p in (60, 64, 67)] + [["note", 480, 480, 0, 72, 90]]]
    tok = get_tokenizer("v1")
    safe = safe_context_score(chord, tok)
    assert [e[2] for e in safe.score[1]] == [510, 480, 480, 480]  # C no longer shares E's key
    assert len(tok.tokenize(safe.score, add_bos_eos=False)) == 4
    assert safe.fixes == ("gave the opening chord's notes distinct durations (v1)",)


def test_a_clean_context_is_left_alone() -> None:
    score = [480, [["set_tempo", 0, 500000], ["note", 0, 480, 0, 60, 90], ["note", 480, 480, 0, 62, 90]]]
    safe = safe_context_score(score, get_tokenizer("v2o"))
    assert (safe.score, safe.offset_ticks, safe.fixes) == (score, 0, ())


NOTE = st.tuples(
    st.integers(0, 400 * 480),  # start: up to 400 beats, so long gaps happen
    st.sampled_from([1, 30, 240, 480, 960, 200 * 480]),  # duration, some of 128+ beats
    st.sampled_from([0, 0, 1, 9]),  # channel
    st.sampled_from([60, 62, 64, 67]),  # few pitches, so unisons and chords happen
    st.sampled_from([0, 1, 64, 127]),  # velocity, with the zero-velocity trap
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tracks=st.lists(st.lists(NOTE, max_size=20), min_size=1, max_size=3),
    name=st.sampled_from(["v1", "v2", "v2o"]),
    chord_at_zero=st.booleans(),
)
def test_no_playable_note_is_ever_dropped(
    tracks: list[list[tuple[int, ...]]], name: str, chord_at_zero: bool
) -> None:
    score: list = [480]
    for notes in tracks:
        if chord_at_zero:
            notes = [(0, *n[1:]) for n in notes[:4]] + notes[4:]
        score.append([["set_tempo", 0, 500000], *(["note", *n] for n in notes)])
    tok = get_tokenizer(name)
    safe = safe_context_score(score, tok)
    assert dropped_notes(safe.score, tok) == []
    playable = sum(1 for track in score[1:] for e in track if e[0] == "note" and e[5] > 0)
    assert sum(1 for track in safe.score[1:] for e in track if e[0] == "note") == playable
