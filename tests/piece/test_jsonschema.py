"""The JSON Schema (`conductor schema`): valid, descriptive, and agreeing with the loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conductor.commands.schema import schema_text
from tests.piece.test_bundled import ALL_FORMS, PIECES

jsonschema = pytest.importorskip("jsonschema")  # dev dependency (pip install jsonschema)
SCHEMA = json.loads(schema_text())


@pytest.mark.parametrize("path", PIECES, ids=[p.name for p in PIECES])
def test_bundled_piece_validates_against_the_json_schema(path: Path) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text()), SCHEMA)


def test_every_form_validates_against_the_json_schema() -> None:
    jsonschema.validate(yaml.safe_load(ALL_FORMS), SCHEMA)


def test_schema_is_a_valid_json_schema_with_descriptions() -> None:
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
