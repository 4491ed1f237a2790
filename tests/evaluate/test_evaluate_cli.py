"""`conductor evaluate` on a rehearsal's take (table and JSON), rehearse's own table, clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conductor.cli import main
from tests.rehearse.helpers import MARK

PIECE = """
title: Evaluate test
tempo: 96
meter: 4/4
model: {kind: scripted, config: chords}
sections:
  - {name: intro, mode: listen, length: 4 bars}
  - {name: fours, mode: trading, length: 8 bars, turns: {bars: 2, starts: human}}
  - {name: comp, mode: ai_chords, length: 4 bars, then: stop}
"""


@pytest.fixture(scope="module")
def take(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """(piece, take, what rehearse printed) of one rehearsal against the bundled human."""
    folder = tmp_path_factory.mktemp("evaluate")
    piece, out = folder / "piece.yaml", folder / "take.mid"
    piece.write_text(PIECE)
    capture = folder / "printed.txt"
    import contextlib

    with capture.open("w") as sink, contextlib.redirect_stdout(sink):
        assert main(["rehearse", str(piece), "--human", str(MARK), "--out", str(out), "--seed", "1"]) == 0
    return piece, out, capture.read_text()


def test_rehearse_prints_the_evaluation_of_its_take(take: tuple[Path, Path, str]) -> None:
    _, out, printed = take
    assert f"Evaluation: {out}" in printed
    for section in ("intro", "fours", "comp", "whole take"):
        assert section in printed


def test_json_per_section_with_modes_from_the_piece(
    take: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    piece, out, _ = take
    assert main(["evaluate", str(out), "--piece", str(piece), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    modes = [(s["name"], s["mode"], s["mode_from"]) for s in data["sections"]]
    assert modes == [
        ("intro", "listen", "piece"),
        ("fours", "trading", "piece"),
        ("comp", "ai_chords", "piece"),
    ]
    fours, comp = data["sections"][1], data["sections"][2]
    assert fours["presence"]["unit"] == "AI turns" and fours["presence"]["of"] == 2
    assert comp["presence"]["unit"] == "bars" and comp["presence"]["of"] == 4
    assert comp["largest_cluster"] >= 3  # the scripted model comps three-note chords
    assert data["whole"]["notes"]["ai"] == fours["notes"]["ai"] + comp["notes"]["ai"]
    assert data["notes"] == []


def test_the_table_with_the_piece_has_no_inferred_legend(
    take: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    piece, out, printed_by_rehearse = take
    assert main(["evaluate", str(out), "--piece", str(piece)]) == 0
    printed = capsys.readouterr().out
    assert "whole take" in printed and "mode: the piece's" in printed
    assert "inferred" not in printed and "inferred" not in printed_by_rehearse


def test_the_table_without_a_piece_says_what_it_inferred(
    take: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = take
    assert main(["evaluate", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "whole take" in printed and "listen?" in printed
    assert "? = inferred" in printed
    assert "note: section 'intro': no --piece; mode inferred: listen (the AI never played)" in printed


def test_errors_are_one_line_naming_the_file(
    take: tuple[Path, Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = take
    assert main(["evaluate", str(tmp_path / "gone.mid")]) == 1
    assert capsys.readouterr().err.strip() == (
        f"error: {tmp_path / 'gone.mid'}: no such file "
        "(expected a take: the .mid `conductor rehearse --out` writes)"
    )
    assert main(["evaluate", str(MARK)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {MARK}: not a conductor take: no track named 'ai'") and "\n" not in err
    bad = tmp_path / "bad.yaml"
    bad.write_text(PIECE.replace("mode: trading", "mode: tradng"))
    assert main(["evaluate", str(out), "--piece", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml:8:25: sections[1].mode" in err and "did you mean 'trading'?" in err
