"""The JSON Schema (`conductor schema`): valid, descriptive, and agreeing with the loader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from conductor.commands.schema import schema_text
from conductor.piece import load_piece_text

ROOT = Path(__file__).resolve().parents[2]
PIECES = sorted((ROOT / "pieces").rglob("*.yaml"))
SCHEMA = json.loads(schema_text())
ALL_FORMS = """
title: every form
tempo: 90
meter: 6/8
model: {kind: skytnt, checkpoint: ../models/x, sampling: {temperature: 0.9}}
controls:
  - {program: 3, action: mute}
  - {note: 40, action: {goto: b}}
defaults:
  filters: [{key: off}, {horizon: 2 bars}]
sections:
  - name: a
    mode: duet
    length: 12 beats
    model: markov
    then: {goto: b}
    filters:
      - {key: Dm, action: drop}
      - chords: 3
      - melody: lowest
      - density: 0.5
      - range: {low: C3, high: 84}
      - velocity: 1.2
      - horizon: off
  - {name: b, mode: listen, length: footswitch, then: loop, listen: {window: 32 notes}}
"""


@pytest.fixture
def jsonschema() -> Any:
    """The jsonschema library (a dev dependency)."""
    return pytest.importorskip("jsonschema")


def test_every_short_and_long_form_loads() -> None:
    piece = load_piece_text(ALL_FORMS)
    assert [type(f).__name__ for f in piece.sections[0].filters] == [
        "KeyFilter", "ChordsFilter", "MelodyFilter", "DensityFilter", "RangeFilter", "VelocityFilter",
    ]  # fmt: skip


@pytest.mark.parametrize("path", PIECES, ids=[p.name for p in PIECES])
def test_bundled_piece_validates_against_the_json_schema(path: Path, jsonschema: Any) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text()), SCHEMA)


def test_every_form_validates_against_the_json_schema(jsonschema: Any) -> None:
    jsonschema.validate(yaml.safe_load(ALL_FORMS), SCHEMA)


def test_schema_is_a_valid_json_schema_with_descriptions(jsonschema: Any) -> None:
    schema = SCHEMA
    jsonschema.Draft202012Validator.check_schema(schema)
    section = schema["$defs"]["SectionRaw"]
    assert section["additionalProperties"] is False
    assert set(section["required"]) == {"name", "mode", "length"}
    for name, model in [("PieceFile", schema), *schema["$defs"].items()]:
        for key, prop in model["properties"].items():
            assert "description" in prop, f"{name}.{key} has no description"
    validator = jsonschema.Draft202012Validator(schema)
    bad = {"sections": [{"name": "a", "mode": "duett", "length": "8 bars"}], "tempi": 3}
    assert len(list(validator.iter_errors(bad))) == 2
