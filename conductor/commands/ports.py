"""`conductor ports`: list the MIDI inputs and outputs the chosen backend sees."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `ports` command."""
    p = subparsers.add_parser("ports", help="list MIDI input and output ports")
    p.add_argument("--midi-api", help="jack | alsa | coremidi | winmm (default: $CONDUCTOR_MIDI_API or auto)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the listing; 2 if the MIDI backend cannot start."""
    from conductor.live.ports import PortError, backend, format_listing, port_names

    try:
        print(format_listing(port_names(backend(args.midi_api))))
    except PortError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
