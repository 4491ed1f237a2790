"""The piece language: YAML piece files, validated and compiled into frozen sections.

`load_piece(path)` / `load_piece_text(text, path=None)` return a frozen `conductor.piece.compiled.Piece`
or raise `PieceErrors` (every `PieceError` found, each with file, line, column, key path, message,
expected and suggestion).
"""

from conductor.piece.errors import PieceError, PieceErrors
from conductor.piece.loader import load_piece, load_piece_text

__all__ = ["PieceError", "PieceErrors", "load_piece", "load_piece_text"]
