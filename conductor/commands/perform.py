"""`conductor perform PIECE`: play a piece live, on real MIDI ports."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conductor.live.stage_link import StageOptions


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
    p.add_argument(
        "--web",
        nargs="?",
        const="",
        metavar="HOST:PORT",
        help="serve the stage page (default 127.0.0.1:8765); another host needs --web-public",
    )
    p.add_argument(
        "--web-public",
        action="store_true",
        help="allow --web on a network address: the page then needs the token printed",
    )
    p.add_argument("--osc", metavar="[HOST:]PORT", help="receive OSC here (default: the piece's osc: port)")
    p.add_argument(
        "--osc-send", metavar="HOST:PORT", help="send the state as OSC here (default: the piece's)"
    )
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
    try:
        stage = stage_options(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.no_display:
        logging.getLogger().setLevel(logging.WARNING)  # the display shows what the log lines would
    opts = PerformOptions(
        input=args.input, output=args.output, footswitch=args.footswitch, virtual=args.virtual,
        midi_api=args.midi_api, takes=args.takes, display=not args.no_display, realtime=args.realtime,
        seed=args.seed, duration=args.duration, threads=args.threads, stage=stage,
    )  # fmt: skip
    return Performance(piece, opts).run()


def stage_options(args: argparse.Namespace) -> StageOptions:
    """The stage page's and OSC's addresses from `--web`, `--web-public`, `--osc`, `--osc-send`;
    ValueError saying what to change."""
    from conductor.live.stage_link import StageOptions
    from conductor.stage import osc_in, server
    from conductor.stage.access import is_loopback, parse_bind

    web = None if args.web is None else parse_bind(args.web or "", server.DEFAULT_PORT, "--web")
    if web is None and args.web_public:
        raise ValueError("--web-public needs --web HOST:PORT (e.g. --web 0.0.0.0:8765 --web-public)")
    if web is not None and not is_loopback(web[0]) and not args.web_public:
        raise ValueError(
            f"--web {web[0]}:{web[1]} opens the stage page to the network, where anyone could press panic: "
            "add --web-public (the page then needs the token printed at the start), or use 127.0.0.1"
        )
    osc = None if args.osc is None else parse_bind(args.osc, osc_in.DEFAULT_PORT, "--osc")
    send = None if args.osc_send is None else parse_bind(args.osc_send, 0, "--osc-send")
    if send is not None and send[1] == 0:
        raise ValueError(f"--osc-send {args.osc_send!r} needs a port: HOST:PORT (e.g. 192.168.1.20:9000)")
    return StageOptions(web=web, public=args.web_public, osc=osc, osc_send=send)
