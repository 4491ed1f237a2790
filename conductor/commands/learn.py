"""`conductor learn`: press a pedal or turn a knob, get the mapping line to paste into the piece; with
`--osc`, press a button or move a fader in an OSC app (TouchOSC, Open Stage Control, Max) instead."""

from __future__ import annotations

import argparse
import queue
import sys
import time
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `learn` command."""
    p = subparsers.add_parser("learn", help="print the piece mapping for a pressed pedal or turned knob")
    p.add_argument("--in", dest="input", help="input port (name substring); default: every input")
    p.add_argument("--virtual", action="store_true", help="open a virtual input named 'conductor in'")
    p.add_argument("--midi-api", help="jack | alsa | coremidi | winmm (default: $CONDUCTOR_MIDI_API or auto)")
    p.add_argument("--count", type=int, default=0, help="stop after this many mapping lines (0: Ctrl-C)")
    p.add_argument("--timeout", type=float, default=0.0, help="stop after this many seconds (0: never)")
    p.add_argument(
        "--osc",
        nargs="?",
        const="127.0.0.1:8000",
        metavar="[HOST:]PORT",
        help="learn OSC addresses received on this UDP port instead of MIDI (default 127.0.0.1:8000; "
        "0.0.0.0:8000 to hear a tablet on the network)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Listen and print mapping lines until Ctrl-C, --count or --timeout."""
    if args.osc is not None:
        return _learn_osc(args.osc, args.count, args.timeout)
    from conductor.live.learn import Learner
    from conductor.live.ports import PortError, backend, open_input, port_names

    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    try:
        be = backend(args.midi_api)
        wanted = [args.input] if args.input or args.virtual else list(port_names(be).inputs)
        if not wanted:
            raise PortError("no MIDI input ports to learn from (try --virtual)")
        ports = [open_input(args.midi_api, w, inbox.put, args.virtual) for w in wanted]
    except PortError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("Press a pedal or turn a knob (Ctrl-C to stop). Paste the lines under controls: or params:")
    sys.stdout.flush()
    try:
        _listen(inbox, Learner(), args.count, args.timeout)
    except KeyboardInterrupt:
        pass
    finally:
        for port in ports:
            port.close()
    return 0


def _listen(inbox: Any, learner: Any, count: int, timeout: float) -> None:
    printed = 0
    end = time.monotonic() + timeout if timeout > 0 else float("inf")
    while time.monotonic() < end and (count <= 0 or printed < count):
        try:
            msg = inbox.get(timeout=0.1)
        except queue.Empty:
            continue
        for line in learner.feed(msg):
            print(line, flush=True)
            printed += 1


def _learn_osc(where: str, count: int, timeout: float) -> int:
    """`conductor learn --osc`: print a mapping line for each new OSC address."""
    from conductor.stage.access import parse_bind
    from conductor.stage.osc_in import DEFAULT_PORT
    from conductor.stage.osc_learn import OscLearner, OscListener, next_lines
    from conductor.stage.view import StageError

    try:
        listener = OscListener(*parse_bind(where, DEFAULT_PORT, "--osc"))
    except (ValueError, StageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Send OSC to {listener.host}:{listener.port}: press a button or move a fader (Ctrl-C to stop).")
    print("Paste the lines under controls: or params:", flush=True)
    learner, printed = OscLearner(), 0
    end = time.monotonic() + timeout if timeout > 0 else float("inf")
    try:
        while time.monotonic() < end and (count <= 0 or printed < count):
            for line in next_lines(listener, learner, min(0.5, end - time.monotonic())):
                print(line, flush=True)
                printed += 1
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
    return 0
