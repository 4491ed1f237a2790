"""`conductor tokens FILE.mid --tokenizer v1|v2|v2o [--json]`: what a SkyTNT model sees of a file.

With --json, prints the token rows (each padded to the tokenizer's max_token_seq, BOS and EOS rows
included) as one JSON list of lists of ints; otherwise a table of decoded events beside their rows,
and how many notes upstream's quirks drop.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `tokens` command."""
    parser = subparsers.add_parser("tokens", help="show the SkyTNT token rows of a MIDI file")
    parser.add_argument("file", help="a standard MIDI file (.mid)")
    parser.add_argument(
        "--tokenizer", choices=("v1", "v2", "v2o"), default="v2o", help="tokenizer (default v2o)"
    )
    parser.add_argument("--json", action="store_true", help="print the rows as a JSON list of lists of ints")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the rows of `args.file`; 1 with one clear sentence when the file cannot be read."""
    from conductor.backends.skytnt.midi_score import MidiFileError, read_score
    from conductor.backends.skytnt.tokenizer import get_tokenizer

    try:
        score = read_score(args.file)
    except MidiFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    tokenizer = get_tokenizer(args.tokenizer)
    rows = tokenizer.tokenize(score)
    if args.json:
        json.dump(rows, sys.stdout, separators=(",", ":"))
        sys.stdout.write("\n")
        return 0
    _print_table(args.file, score, rows, tokenizer)
    return 0


def _print_table(path: str, score: list[Any], rows: list[list[int]], tokenizer: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    from conductor.backends.skytnt.tokenizer.safe_context import dropped_notes

    table = Table(title=f"{path} — tokenizer {tokenizer.name}, {len(rows)} rows")
    table.add_column("#", justify="right")
    table.add_column("event")
    table.add_column("row")
    for i, row in enumerate(rows):
        event = tokenizer.tokens2event(row)
        text = _describe(event, tokenizer) if event else tokenizer.describe(row[0])
        table.add_row(str(i), text, " ".join(str(t) for t in row))
    console = Console()
    console.print(table)
    lost = dropped_notes(score, tokenizer)
    if lost:
        console.print(
            f"{len(lost)} notes of the file give no row (upstream quirks: see docs/skytnt-format.md)"
        )


def _describe(event: list[Any], tokenizer: Any) -> str:
    params = tokenizer.events[event[0]]
    return event[0] + " " + " ".join(f"{p}={v}" for p, v in zip(params, event[1:], strict=True))
