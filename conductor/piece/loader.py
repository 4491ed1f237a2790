"""Load a piece: read YAML with positions, validate the schema, cross-check, compile. All errors at once."""

from __future__ import annotations

from pathlib import Path

import yaml

from conductor.piece.compile import compile_piece
from conductor.piece.compiled import Piece
from conductor.piece.context import Context
from conductor.piece.crossrefs import cross_check
from conductor.piece.errors import PieceError, PieceErrors
from conductor.piece.validate import validate
from conductor.piece.yamlnodes import read_document, syntax_error


def load_piece_text(text: str, path: str | Path | None = None) -> Piece:
    """Compile a piece from YAML text; `path` names the file in errors and anchors relative paths.

    Raises `PieceErrors` holding every error found (syntax, schema, cross-references, semantics).
    """
    file = str(path) if path is not None else None
    try:
        doc = read_document(text, file)
    except yaml.YAMLError as exc:
        raise PieceErrors([syntax_error(exc, file)]) from None
    raw, errors = validate(doc, file)
    errors = doc.problems + errors + cross_check(doc, file)
    if raw is None or errors:
        raise PieceErrors(errors)
    ctx = Context(doc, file, has_tempo=raw.tempo is not None)
    piece = compile_piece(ctx, raw, Path(path) if path is not None else None)
    if ctx.errors:
        raise PieceErrors(ctx.errors)
    return piece


def load_piece(path: str | Path) -> Piece:
    """Load and compile the piece file at `path` (raises `PieceErrors`, or OSError if unreadable)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PieceErrors([PieceError(str(file), 0, 0, "(file)", f"not UTF-8 text: {exc.reason}")]) from None
    return load_piece_text(text, file)
