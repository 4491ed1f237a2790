"""Every bundled piece checks; mark_sat is a finite concert set using every mode and the footswitch."""

from __future__ import annotations

from pathlib import Path

import pytest

from conductor.commands.schema import schema_text
from conductor.piece import compiled as c
from conductor.piece import load_piece
from conductor.piece.report import running_time

ROOT = Path(__file__).resolve().parents[2]
PIECES = sorted((ROOT / "pieces").rglob("*.yaml"))


def test_there_are_bundled_pieces() -> None:
    names = {p.relative_to(ROOT / "pieces").as_posix() for p in PIECES}
    expected = {f"modes/{m.value}.yaml" for m in c.Mode}
    assert {"mark_sat.yaml", *expected} <= names


@pytest.mark.parametrize("path", PIECES, ids=[p.name for p in PIECES])
def test_bundled_piece_checks_and_validates_against_the_json_schema(path: Path) -> None:
    piece = load_piece(path)
    assert piece.sections
    first_line = path.read_text().splitlines()[0]
    assert first_line.startswith("# yaml-language-server: $schema=")
    assert (path.parent / first_line.split("=", 1)[1]).resolve() == ROOT / "schema" / "piece.schema.json"


@pytest.mark.parametrize("mode", list(c.Mode))
def test_each_mode_example_uses_its_mode(mode: c.Mode) -> None:
    piece = load_piece(ROOT / "pieces" / "modes" / f"{mode.value}.yaml")
    assert mode in {s.mode for s in piece.sections}


def test_mark_sat_is_a_finite_concert_set() -> None:
    piece = load_piece(ROOT / "pieces" / "mark_sat.yaml")
    assert (piece.timebase.bpm, piece.timebase.beats_per_bar) == (96, 4)
    assert {s.mode for s in piece.sections} == set(c.Mode)
    assert all(s.length is not None and s.length.unit is not c.Unit.NOTES for s in piece.sections)
    assert piece.sections[-1].then == c.Then(c.ThenKind.STOP)
    total, why = running_time(piece)
    assert why == "stops" and total is not None and 180 <= total <= 240
    assert total == 200.0  # 80 bars at 96 bpm, the length of examples/mark_human.mid


def test_mark_sat_uses_footswitch_navigation_filters_and_params() -> None:
    piece = load_piece(ROOT / "pieces" / "mark_sat.yaml")
    actions = {m.action for m in piece.actions}
    assert {c.Action.NEXT, c.Action.PREVIOUS, c.Action.GOTO, c.Action.PANIC, c.Action.HOLD} <= actions
    assert piece.params and piece.model.kind == "skytnt" and piece.model.dtype == "float16"
    assert piece.model.checkpoint is not None
    assert (ROOT / "pieces" / piece.model.checkpoint / "model.safetensors").is_file()
    filters = [f for s in piece.sections for f in s.filters]
    assert any(isinstance(f, c.KeyFilter) and f.key and f.action is c.KeyAction.SNAP for f in filters)
    assert any(isinstance(f, c.ChordsFilter) for f in filters)
    assert any(isinstance(f, c.MelodyFilter) for f in filters)


def test_committed_schema_equals_the_schema_command() -> None:
    assert (ROOT / "schema" / "piece.schema.json").read_text() == schema_text()
