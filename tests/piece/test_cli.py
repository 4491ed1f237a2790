"""The commands: `conductor check`, `conductor schema`, `conductor new`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conductor.cli import main
from conductor.commands import new as new_command
from conductor.piece import load_piece

ROOT = Path(__file__).resolve().parents[2]


def test_check_prints_the_running_order_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(ROOT / "pieces" / "mark_sat.yaml")]) == 0
    out = capsys.readouterr().out
    expected = (
        "Saturday set", "96 bpm", "prelude", "listen", "12 bars · 30.0 s", "turns of 4 bars",
        "chords ≥3 in 40 ms", "melody salient", "key G major/snap", "total 3:20.0 (stops)", "ok",
    )  # fmt: skip
    for words in expected:
        assert words in out


def test_check_prints_every_error_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("tempo: 96\nsections:\n  - {name: a, mode: duett, length: 8 brs}\n")
    assert main(["check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "2 errors" in out
    assert f"{bad}:3:21" in out and "sections[0].mode" in out and "did you mean 'duet'?" in out
    assert f"{bad}:3:36" in out and "sections[0].length" in out and "did you mean '8 bars'?" in out


def test_check_several_pieces_fails_if_one_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.yaml"
    assert main(["check", str(ROOT / "pieces" / "modes" / "duet.yaml"), str(missing)]) == 1
    out = capsys.readouterr().out
    assert "Duet example" in out and "cannot read" in out


def test_schema_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "PieceFile" and "sections" in schema["required"]


def test_new_writes_a_starter_that_checks_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "friday_gig"
    assert main(["new", str(target)]) == 0
    written = tmp_path / "friday_gig.yaml"
    piece = load_piece(written)
    assert piece.title == "friday gig" and len(piece.sections) == 4
    assert written.read_text().count("#") > 15  # commented for a musician
    assert main(["check", str(written)]) == 0
    before = written.read_text()
    assert main(["new", str(written)]) == 1
    assert written.read_text() == before
    assert "already exists" in capsys.readouterr().out


def enable_the_skytnt_example(piece: Path) -> None:
    """Uncomment the starter's `model:` mapping (kind and checkpoint), as a musician would."""
    text = piece.read_text().replace("model: markov ", "# model: markov").replace("# model:\n", "model:\n")
    text = text.replace("#   kind: skytnt", "  kind: skytnt").replace("#   checkpoint:", "  checkpoint:")
    piece.write_text(text)


def test_new_outside_the_repository_writes_an_absolute_checkpoint_that_resolves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["new", "gigs/friday"]) == 0
    enable_the_skytnt_example(tmp_path / "gigs" / "friday.yaml")
    piece = load_piece(Path("gigs/friday.yaml"))
    assert piece.model.kind == "skytnt" and piece.model.checkpoint is not None
    assert piece.model.checkpoint.is_absolute() and (piece.model.checkpoint / "model.safetensors").is_file()


def test_new_inside_the_repository_writes_a_relative_checkpoint_that_resolves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"  # a stand-in for the repository: its bundled model folder, a pieces folder
    (repo / "models" / "conductor-roles").mkdir(parents=True)
    (repo / "pieces" / "gigs").mkdir(parents=True)
    monkeypatch.setattr(new_command, "ROOT", repo)
    monkeypatch.chdir(repo / "pieces" / "gigs")
    assert main(["new", "friday"]) == 0
    enable_the_skytnt_example(repo / "pieces" / "gigs" / "friday.yaml")
    checkpoint = load_piece(repo / "pieces" / "gigs" / "friday.yaml").model.checkpoint
    assert checkpoint == Path("../../models/conductor-roles")
    model = repo / "models" / "conductor-roles"
    assert (repo / "pieces" / "gigs" / checkpoint).resolve() == model.resolve()
