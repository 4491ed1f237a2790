"""`conductor check PIECE...`: validate pieces and show their running order.

Pieces are read in the parser process (`conductor.piece.parser`): a hostile file ends in an error
line within the parse time limit, never in a hang, a traceback or gigabytes of memory.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `check` command."""
    parser = subparsers.add_parser("check", help="validate piece files and show their running order")
    parser.add_argument("pieces", nargs="+", type=Path, metavar="PIECE", help="piece file(s) (.yaml)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Exit status 0 if every piece is valid, 1 otherwise."""
    from conductor.piece import PieceErrors
    from conductor.piece.parser import shared_parser
    from conductor.piece.report import error_text, running_order

    console = Console() if sys.stdout.isatty() else Console(width=160)  # pipes and logs: wide rows
    status = 0
    for path in args.pieces:
        try:
            piece = shared_parser().load(path)
        except OSError as exc:
            console.print(f"[red]{path}: cannot read: {exc.strerror or exc}[/red]")
            status = 1
        except PieceErrors as exc:
            count = len(exc.errors)
            console.print(f"[red bold]{path}: {count} error{'s' if count != 1 else ''}[/red bold]")
            console.print(error_text(exc.errors))
            status = 1
        else:
            console.print(running_order(piece))
            console.print(f"[green]{path}: ok[/green]")
    return status
