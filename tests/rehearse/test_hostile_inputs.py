"""Hostile human files: every malformed MIDI file or take log is one clean line or a clean take.

Hand-made cases (truncated, bad headers, bad metas, running-status garbage, huge delta times, a
folder, a FIFO, /dev/zero, torn and broken take-log lines, ...) and mutants (byte flips, cuts at every
chunk boundary, inserted garbage, edited header fields) go through the reader and through a short
`conductor rehearse`: never a traceback, never a hang.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import mido
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conductor.cli import main
from conductor.core.inputfile import InputFileError
from conductor.rehearse.human import read_human
from tests.rehearse.hostile import (
    Case,
    base_midi_files,
    midi_cases,
    midi_mutants,
    mutate,
    take_cases,
    take_mutants,
)

PIECE = """
title: Fuzz
tempo: 120
model: {kind: scripted}
sections:
  - {name: intro, mode: listen, length: 1 bar}
  - {name: duet, mode: duet, length: 4 bars, then: stop}
"""


@pytest.fixture(scope="module")
def piece(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("piece") / "fuzz.yaml"
    path.write_text(PIECE)
    return path


def rehearse(piece: Path, human: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of `conductor rehearse PIECE --human HUMAN`."""
    out = human.parent / "take-out" / "take.mid"
    status = main(["rehearse", str(piece), "--human", str(human), "--out", str(out)])
    printed = capsys.readouterr()
    if status == 0:
        assert mido.MidiFile(out).tracks, "a clean take is a readable MIDI file"
    return status, printed.out, printed.err


def assert_clean_error(err: str, path: Path) -> None:
    """One `error:` line naming the file (any warnings before it are one line each)."""
    lines = err.strip().splitlines()
    assert lines and lines[-1].startswith("error: "), err
    assert str(path) in lines[-1], err
    assert all(line.startswith(("warning: ", "error: ")) for line in lines), err
    assert "Traceback" not in err and "None" not in lines[-1], err


@pytest.mark.parametrize("case", midi_cases() + take_cases(), ids=lambda c: c.name)
def test_each_hostile_file_is_a_clean_error_or_a_clean_take(
    case: Case, piece: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = case.make(tmp_path)
    status, _, err = rehearse(piece, path, capsys)
    assert status == {"error": 1, "take": 0}.get(case.expect, status), err
    if status == 1:
        assert_clean_error(err, path)
        with pytest.raises(InputFileError) as info:
            read_human(path)
        assert "\n" not in str(info.value) and str(path) in str(info.value)
    else:
        assert "Traceback" not in err and status == 0


def test_what_the_musician_reads(piece: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = {c.name: c for c in midi_cases() + take_cases()}
    expected = {
        "truncated-mid-track": "the file ends inside track 1 of 1 (byte 1776 of 1776): is it truncated?",
        "data-byte-over-127": "(data byte must be in range 0..127, in track 1 of 1, byte 26)",
        "format-2": "format 2 (independent sequences), which cannot be played as one performance",
        "fifo": "is not a regular file (a pipe or a device?)",
        "log-torn-middle": "line 2 is not JSON (Unterminated string",
        "log-no-t": "line 3 has no 't': expected the seconds since the take began",
    }
    for name, text in expected.items():
        folder = tmp_path / name
        folder.mkdir()
        path = cases[name].make(folder)
        assert rehearse(piece, path, capsys)[0] == 1
        with pytest.raises(InputFileError, match=re.escape(text)):
            read_human(path)


def test_a_bad_meta_costs_a_warning_not_the_notes(
    piece: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = next(c for c in midi_cases() if c.name == "bad-key-signature").make(tmp_path)
    status, _, err = rehearse(piece, path, capsys)
    assert status == 0
    assert "warning: " in err and "key_signature meta event" in err and "9 sharps" in err
    assert [m.type for _, m in read_human(path).messages] == ["note_on", "note_off"]


def test_a_torn_last_line_is_skipped_with_its_line_number(
    piece: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = next(c for c in take_cases() if c.name == "log-torn-last").make(tmp_path)
    status, _, err = rehearse(piece, path, capsys)
    assert status == 0
    assert f"warning: {path}: line 4 (the last) is torn" in err
    assert len(read_human(path).messages) == 2


def _mutant_status(
    piece: Path, folder: Path, name: str, data: bytes, capsys: pytest.CaptureFixture[str]
) -> int:
    folder.mkdir()
    path = folder / (name + (".jsonl" if name.startswith("log-") else ".mid"))
    path.write_bytes(data)
    status, _, err = rehearse(piece, path, capsys)
    assert status in (0, 1), err
    if status == 1:
        assert_clean_error(err, path)
    return status


def test_seeded_mutants_rehearse_cleanly(
    piece: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mutants = [*midi_mutants(seed=1, count=24), *take_mutants(seed=1, count=16)]
    statuses = [_mutant_status(piece, tmp_path / str(i), n, d, capsys) for i, (n, d) in enumerate(mutants)]
    assert 0 in statuses and 1 in statuses  # the set has both outcomes, so both paths are exercised


@pytest.mark.slow
def test_many_more_seeded_mutants_rehearse_cleanly(
    piece: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mutants = [*midi_mutants(seed=2, count=150), *take_mutants(seed=2, count=100)]
    for i, (name, data) in enumerate(mutants):
        _mutant_status(piece, tmp_path / str(i), name, data, capsys)


def _read_or_clean_error(path: Path) -> None:
    try:
        part = read_human(path)
    except InputFileError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
        return
    assert all(hasattr(m, "channel") and 0 <= t < 4 * 3600 for t, m in part.messages)


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), rounds=st.integers(1, 4), base=st.sampled_from(base_midi_files()))
def test_the_reader_survives_any_mutation(
    seed: int, rounds: int, base: tuple[str, bytes], tmp_path_factory: pytest.TempPathFactory
) -> None:
    rng, data = random.Random(seed), base[1]
    for _ in range(rounds):
        data = mutate(data, rng)[1]
    path = tmp_path_factory.mktemp("m") / "m.mid"
    path.write_bytes(data)
    _read_or_clean_error(path)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(data=st.binary(max_size=300))
def test_the_reader_survives_any_bytes_after_a_midi_header(
    data: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("b")
    (folder / "b.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk" + data)
    _read_or_clean_error(folder / "b.mid")
    (folder / "b.jsonl").write_bytes(data)
    _read_or_clean_error(folder / "b.jsonl")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=8,
)
LINE = st.fixed_dictionaries(
    {},
    optional={
        "t": JSON | st.floats(0, 1e5),
        "kind": st.sampled_from(["human", "footswitch", "ai", "section"]) | JSON,
        "bytes": JSON | st.lists(st.integers(0, 255), max_size=4),
    },
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(lines=st.lists(LINE | JSON, max_size=6))
def test_the_take_log_reader_survives_any_json_lines(
    lines: list[object], tmp_path_factory: pytest.TempPathFactory
) -> None:
    import json

    path = tmp_path_factory.mktemp("j") / "take.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines))
    _read_or_clean_error(path)
