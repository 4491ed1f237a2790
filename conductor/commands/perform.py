"""`conductor perform PIECE`: play a piece live, on real MIDI ports."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `perform` command."""
    p = subparsers.add_parser("perform", help="perform a piece live on MIDI ports")
    p.add_argument("piece", type=Path, help="the piece file (YAML); edits are applied while playing")
    p.add_argument("--in", dest="input", help="keyboard input port (name substring); default: the piece's")
    p.add_argument("--out", dest="output", help="output port (name substring); default: the piece's")
    p.add_argument("--footswitch", help="separate footswitch/controller port (name substring)")
    p.add_argument("--virtual", action="store_true", help="open virtual ports 'conductor in'/'conductor out'")
    p.add_argument("--midi-api", help="jack | alsa | coremidi | winmm (default: $CONDUCTOR_MIDI_API or auto)")
    p.add_argument("--takes", type=Path, help="folder for the take (default: the piece's recording folder)")
    p.add_argument("--no-display", action="store_true", help="no stage display: log lines only")
    p.add_argument("--realtime", action="store_true", help="run the clock thread at SCHED_FIFO if allowed")
    p.add_argument("--seed", type=int, default=0, help="random seed of the engine (default 0)")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.add_argument("--threads", type=int, help="model threads (default: cores - 1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load the piece and perform it; the exit status is `conductor.live.perform`'s (2: a piece error)."""
    from conductor.live.perform import Performance, PerformOptions
    from conductor.piece import PieceErrors
    from conductor.piece.parser import shared_parser

    try:
        piece = shared_parser().load(args.piece)  # the parser process (in this one if none can start)
    except PieceErrors as exc:
        print(exc, file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot read {args.piece}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C while a large piece loads: nothing is open yet
        print("stopped before the performance began", file=sys.stderr)
        return 0
    if not args.no_display:
        logging.getLogger().setLevel(logging.WARNING)  # the display shows what the log lines would
    opts = PerformOptions(
        input=args.input, output=args.output, footswitch=args.footswitch, virtual=args.virtual,
        midi_api=args.midi_api, takes=args.takes, display=not args.no_display, realtime=args.realtime,
        seed=args.seed, duration=args.duration, threads=args.threads,
    )  # fmt: skip
    return Performance(piece, opts).run()
