"""Evaluate a take: did the AI sound like it listened? In key, with the player's own material, in the
player's time, never a wall of notes — measured per section from the take's MIDI file alone.

`read_take(path)` reads a take (`TakeNotes`), `evaluate(take, piece=None)` measures it
(`Evaluation`), `evaluation_table` and `to_json` show it. Pure functions over notes: this package
imports the core, the piece, the take's MIDI reader and the key detector, never live/ or rehearse/.
Every metric is defined in docs/evaluate.md and in the docstrings of `metrics`, `harmony`, `answers`.
"""

from pathlib import Path

from conductor.evaluate.report import Evaluation, SectionResult, evaluate, to_json
from conductor.evaluate.table import evaluation_table
from conductor.evaluate.takefile import TakeError, TakeNotes, read_take, take_from_bytes
from conductor.piece.compiled import Piece


def evaluate_file(path: Path, piece: Piece | None = None) -> Evaluation:
    """Read the take at `path` and evaluate it (raises `TakeError` for a file that is not a take)."""
    return evaluate(read_take(path), piece)


__all__ = [
    "Evaluation",
    "SectionResult",
    "TakeError",
    "TakeNotes",
    "evaluate",
    "evaluate_file",
    "evaluation_table",
    "read_take",
    "take_from_bytes",
    "to_json",
]
