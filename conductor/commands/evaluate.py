"""`conductor evaluate TAKE.mid [--piece PIECE] [--json]`: did the AI sound like it listened?

Per section of the take (its markers), from the take alone: in-key share, pitch-class cosine to the
human, the AI's presence, answer overlap, onset sync against a random baseline, repeated pitches,
onset clusters, zero-length notes, chord tones and density (docs/evaluate.md). With `--piece`, each
section's mode, trading turns and key filter come from the piece; without it they are inferred.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `evaluate` command."""
    p = subparsers.add_parser("evaluate", help="measure how a take's AI listened (per section)")
    p.add_argument("take", type=Path, help="a take's MIDI file (.mid), from `rehearse --out` or `perform`")
    p.add_argument("--piece", type=Path, help="the piece played (.yaml): section modes, turns, key filters")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the evaluation; 1 for a take or piece the musician has to fix."""
    from rich.console import Console

    from conductor.evaluate import TakeError, evaluate_file, evaluation_table, to_json

    try:
        piece = _piece(args.piece)
        evaluation = evaluate_file(args.take, piece)
    except (TakeError, _Unusable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(to_json(evaluation), indent=2, ensure_ascii=False))
        return 0
    console = Console() if sys.stdout.isatty() else Console(width=200)  # pipes and logs: wide rows
    console.print(evaluation_table(evaluation))
    for note in evaluation.notes:
        console.print(f"note: {note}")
    return 0


class _Unusable(Exception):
    """A piece the musician has to fix."""


def _piece(path: Path | None) -> Any:
    from conductor.piece import PieceErrors, load_piece

    if path is None:
        return None
    try:
        return load_piece(path)
    except PieceErrors as exc:
        raise _Unusable(str(exc)) from exc
    except OSError as exc:
        raise _Unusable(f"--piece {path}: cannot read: {exc.strerror or exc}") from exc
