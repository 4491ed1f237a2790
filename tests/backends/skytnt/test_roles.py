"""The role format: exact scores and token rows per role, stable channels, the config.json mark."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conductor.backends.skytnt.roles import (
    AI_CHANNEL,
    HUMAN_CHANNEL,
    MODE_ROLES,
    PROGRAMS,
    Meter,
    PartNote,
    Role,
    format_block,
    mark_config,
    read_format,
    role_of_row,
    role_rows,
    role_score,
)
from conductor.backends.skytnt.tokenizer import get_tokenizer

TOK = get_tokenizer("v2o")
MELODY = [PartNote(480, 480, 74, 90), PartNote(0, 480, 72, 90)]  # out of order on purpose
CHORD = [PartNote(0, 960, 60, 80), PartNote(0, 960, 64, 80)]


def events(rows: list[list[int]]) -> list[list[int | str] | None]:
    return [TOK.tokens2event(r) for r in rows]


@pytest.mark.parametrize("role", list(Role))
def test_score_puts_each_part_on_its_channel_with_the_roles_patch(role: Role) -> None:
    human_program, ai_program = PROGRAMS[role]
    rs = role_score(MELODY, CHORD, role, Meter(600_000, 3, 4))
    assert rs.score == [
        480,
        [["set_tempo", 0, 600_000], ["time_signature", 0, 3, 2, 24, 8]],
        [
            ["patch_change", 0, 0, human_program],
            ["note", 0, 480, 0, 72, 90],
            ["note", 480, 480, 0, 74, 90],
        ],
        [["patch_change", 0, 1, ai_program], ["note", 0, 960, 1, 60, 80], ["note", 0, 960, 1, 64, 80]],
    ]
    assert (rs.human_channel, rs.ai_channel) == (HUMAN_CHANNEL, AI_CHANNEL) == (0, 1)


@pytest.mark.parametrize("role", list(Role))
def test_rows_per_role(role: Role) -> None:
    h, a = PROGRAMS[role]
    rows = role_rows(TOK, role_score(MELODY, CHORD, role, Meter(600_000, 3, 4)))
    assert rows[0] == TOK.bos_row()
    # time1 is the beat step, time2 the 16th; track 1 = the human's, track 2 = the AI's
    assert events(rows[1:]) == [
        ["time_signature", 0, 0, 0, 2, 1],
        ["set_tempo", 0, 0, 0, 100],
        ["patch_change", 0, 0, 1, 0, h],
        ["note", 0, 0, 1, 0, 72, 90, 16],
        ["patch_change", 0, 0, 2, 1, a],
        ["note", 0, 0, 2, 1, 60, 80, 32],
        ["note", 0, 0, 2, 1, 64, 80, 32],
        ["note", 1, 0, 1, 0, 74, 90, 16],
    ]
    assert role_of_row(TOK, rows[3]) is role and role_of_row(TOK, rows[5]) is role
    assert role_of_row(TOK, rows[4]) is None


def test_exact_token_ids_for_chords() -> None:
    rows = role_rows(TOK, role_score(MELODY[1:], CHORD[:1], Role.CHORDS), eos=True)
    p = TOK.parameter_ids
    patch, note = TOK.event_ids["patch_change"], TOK.event_ids["note"]
    t1, t2, track, ch = p["time1"][0], p["time2"][0], p["track"][0], p["channel"][0]
    assert rows[3:7] == [
        [patch, t1, t2, track + 1, ch + 0, p["patch"][0] + 73, 0, 0],
        [note, t1, t2, track + 1, ch + 0, p["pitch"][0] + 72, p["velocity"][0] + 90, p["duration"][0] + 16],
        [patch, t1, t2, track + 2, ch + 1, p["patch"][0] + 48, 0, 0],
        [note, t1, t2, track + 2, ch + 1, p["pitch"][0] + 60, p["velocity"][0] + 80, p["duration"][0] + 32],
    ]
    assert rows[-1] == TOK.eos_row()


@pytest.mark.parametrize("role", list(Role))
def test_a_silent_part_keeps_its_channel_and_its_patch(role: Role) -> None:
    h, a = PROGRAMS[role]
    ai_silent = events(role_rows(TOK, role_score(MELODY, [], role))[1:])
    assert ["patch_change", 0, 0, 2, 1, a] in ai_silent
    assert [e[4] for e in ai_silent if e is not None and e[0] == "note"] == [0, 0]
    human_silent = events(role_rows(TOK, role_score([], CHORD, role))[1:])
    assert ["patch_change", 0, 0, 1, 0, h] in human_silent
    assert [e[4] for e in human_silent if e is not None and e[0] == "note"] == [1, 1]


def test_the_ai_entering_later_extends_the_rows_it_had() -> None:
    """What the model heard before the AI played is a prefix of what it hears after (cache reuse),
    while the detected key signature stays the same (here: none)."""
    before = role_rows(TOK, role_score(MELODY, [], Role.TRADING))
    after = role_rows(TOK, role_score(MELODY, [PartNote(960, 480, 67, 80)], Role.TRADING))
    assert after[: len(before)] == before and len(after) == len(before) + 1


def test_bad_notes_are_left_out() -> None:
    bad = [
        PartNote(-10, 480, 60, 80),
        PartNote(0, 0, 60, 80),
        PartNote(0, 480, 200, 80),
        PartNote(0, 480, 60, 0),
    ]
    assert role_score(bad, bad, Role.DUET).score[2:] == [
        [["patch_change", 0, 0, PROGRAMS[Role.DUET][0]]],
        [["patch_change", 0, 1, PROGRAMS[Role.DUET][1]]],
    ]


def test_programs_are_distinct_and_modes_map_to_roles() -> None:
    programs = [p for pair in PROGRAMS.values() for p in pair]
    assert len(set(programs)) == 8 and 0 not in programs
    assert set(MODE_ROLES.values()) == set(Role)


def test_config_mark_round_trip(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"tokenizer": {"version": "v2"}}))
    assert read_format(tmp_path) is None
    mark_config(tmp_path)
    data = json.loads((tmp_path / "config.json").read_text())
    assert data["conductor"] == format_block() and data["tokenizer"] == {"version": "v2"}
    assert read_format(tmp_path) == 1 and read_format(tmp_path / "model.safetensors") == 1
    assert read_format(tmp_path / "elsewhere" / "missing") is None


def test_common_key_shift_and_the_key_mark(tmp_path: Path) -> None:
    from conductor.backends.skytnt.roles import KEY_AS_PLAYED, KEY_COMMON, common_shift, read_key

    assert common_shift(7, minor=False) == 5  # G major up a fourth to C
    assert common_shift(4, minor=True) == 5  # E minor to A minor
    assert common_shift(2, minor=False) == -2 and common_shift(9, minor=True) == 0
    rs = role_score(MELODY, CHORD, Role.CHORDS, shift=-2)
    assert [e[4] for track in rs.score[2:] for e in track if e[0] == "note"] == [70, 72, 58, 62]
    (tmp_path / "config.json").write_text("{}")
    mark_config(tmp_path)
    assert read_key(tmp_path) == KEY_AS_PLAYED
    mark_config(tmp_path, KEY_COMMON)
    assert read_key(tmp_path) == KEY_COMMON and read_format(tmp_path) == 1
