"""`conductor schema`: print the JSON Schema of piece files."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `schema` command."""
    parser = subparsers.add_parser(
        "schema", help="print the JSON Schema of piece files (editors use it to autocomplete)"
    )
    parser.set_defaults(func=run)


def schema_text() -> str:
    """The schema as committed in schema/piece.schema.json."""
    from conductor.piece.schema import json_schema

    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def run(args: argparse.Namespace) -> int:
    """Print the schema; exit status 0."""
    sys.stdout.write(schema_text())
    return 0
