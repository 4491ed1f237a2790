"""`conductor new NAME`: write a commented starter piece, NAME.yaml."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `new` command."""
    parser = subparsers.add_parser("new", help="write a commented starter piece NAME.yaml")
    parser.add_argument("name", metavar="NAME", help="piece name or path (.yaml is added)")
    parser.set_defaults(func=run)


ROOT = Path(__file__).resolve().parents[2]  # the repository (schema/, models/), when run from one


def _schema_ref(piece: Path) -> str | None:
    """The repository's schema file, relative to the new piece's folder (None if not found)."""
    schema = ROOT / "schema" / "piece.schema.json"
    if not schema.exists():
        return None
    return os.path.relpath(schema, piece.resolve().parent)


def _checkpoint_ref(piece: Path) -> str | None:
    """The bundled model as the piece must write it: relative to the piece's folder when the piece is
    inside the repository, else absolute (None if there is no bundled model)."""
    model = ROOT / "models" / "conductor-roles"
    if not model.is_dir():
        return None
    folder = piece.resolve().parent
    return os.path.relpath(model, folder) if folder.is_relative_to(ROOT) else str(model)


def run(args: argparse.Namespace) -> int:
    """Write the starter; exit status 1 if the file exists (never overwritten)."""
    from conductor.piece.starter import starter_text

    path = Path(args.name)
    if path.suffix not in (".yaml", ".yml"):
        path = path.with_name(path.name + ".yaml")
    if path.exists():
        print(f"{path} already exists; not overwriting it")
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(starter_text(path.stem, _schema_ref(path), _checkpoint_ref(path)), encoding="utf-8")
    print(f"wrote {path}; check it with: conductor check {path}")
    return 0
