"""The `conductor` command line: a thin dispatcher over `conductor.commands.*`.

Each command module defines `register(subparsers)`, which adds its parser and sets `func=run`, where
`run(args) -> int` is the exit status. Command modules import heavy libraries (torch, music21) only
inside `run`, so `conductor --help` and `conductor check` stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from conductor import __version__

COMMANDS = (
    "check",  # conductor check PIECE...
    "schema",  # conductor schema
    "new",  # conductor new NAME
    "rehearse",  # conductor rehearse PIECE --human FILE.mid
    "evaluate",  # conductor evaluate TAKE.mid [--piece PIECE]
    "perform",  # conductor perform PIECE
    "ports",  # conductor ports
    "learn",  # conductor learn
    "tokens",  # conductor tokens FILE.mid --tokenizer v1|v2|v2o
    "model",  # conductor model info|bench
    "train",  # conductor train --data ... --out ...
)


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every available command registered."""
    parser = argparse.ArgumentParser(prog="conductor", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"conductor {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"conductor.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"conductor.commands.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args))
    except BrokenPipeError:
        # the reader went away (`conductor tokens x.mid --json | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
