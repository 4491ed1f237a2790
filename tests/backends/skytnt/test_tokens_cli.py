"""`conductor tokens`: JSON rows, the decoded table, and one-sentence errors."""

from __future__ import annotations

import json
from pathlib import Path

import mido
import pytest

from conductor.cli import main


@pytest.fixture()
def one_note(tmp_path: Path) -> Path:
    mid = mido.MidiFile(ticks_per_beat=480)
    mid.tracks.append(
        mido.MidiTrack(
            [mido.Message("note_on", note=60, velocity=100), mido.Message("note_off", note=60, time=480)]
        )
    )
    path = tmp_path / "one.mid"
    mid.save(str(path))
    return path


def test_json_rows_include_bos_and_eos(one_note: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tokens", str(one_note), "--tokenizer", "v1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [
        [1, 0, 0, 0, 0, 0, 0, 0],
        [3, 7, 135, 2199, 167, 2327, 2403, 2571],
        [2, 0, 0, 0, 0, 0, 0, 0],
    ]


def test_table_shows_decoded_events(one_note: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tokens", str(one_note), "--tokenizer", "v2o"]) == 0
    out = capsys.readouterr().out
    assert "patch_change time1=0 time2=0 track=1" in out
    assert "3 9 137 2202 2329 2405 2573 169" in out
    assert "<bos>" in out and "<eos>" in out


@pytest.mark.parametrize("content", [None, b"not midi"])
def test_unreadable_files_exit_1_with_one_sentence(
    tmp_path: Path, content: bytes | None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x.mid"
    if content is not None:
        path.write_bytes(content)
    assert main(["tokens", str(path), "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith("error: ") and str(path) in captured.err
