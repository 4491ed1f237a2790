"""OSC learn: move a fader or press a button in the OSC app, get the mapping line to paste into the piece.

`osc_mapping_line` is pure. `OscLearner` remembers what it printed, so a fader sweep prints one
`params:` line, not a hundred; an address whose one number takes a value strictly between 0 and 1, or
more than two different values, is a fader and gets a `params:` line besides its `controls:` line.
`OscListener` is the UDP socket `conductor learn --osc` reads; `next_lines` waits for the next message
that teaches something new.

Not thread-safe: the learning command's own thread only.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from conductor.stage.osc_map import parse_datagram
from conductor.stage.udp import bind_udp

log = logging.getLogger("conductor.stage.osc")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def osc_mapping_line(address: str, args: tuple[Any, ...], *, continuous: bool = False) -> str:
    """The YAML line mapping `address` (as `conductor learn` prints MIDI ones)."""
    if continuous:
        return f"- {{osc: {address}, param: temperature, range: [0.7, 1.3]}}    # params:"
    if len(args) == 1 and isinstance(args[0], str):
        return f"- {{osc: {address}, action: goto}}    # controls: the message's text names the section"
    return f"- {{osc: {address}, action: next}}    # controls:"


@dataclass
class OscLearner:
    """Feeds messages, returns the lines to print (each mapping once)."""

    seen: set[str] = field(default_factory=set)
    values: dict[str, set[float]] = field(default_factory=dict)

    def feed(self, address: str, args: tuple[Any, ...]) -> list[str]:
        """New mapping lines for one message (empty if nothing new)."""
        lines = [osc_mapping_line(address, args)]
        if len(args) == 1 and _number(args[0]):
            values = self.values.setdefault(address, set())
            if len(values) < 16:
                values.add(float(args[0]))
            if 0.0 < float(args[0]) < 1.0 or len(values) > 2:  # a fader, not a button's 1 and 0
                lines.append(osc_mapping_line(address, args, continuous=True))
        fresh = [line for line in lines if line not in self.seen]
        self.seen.update(fresh)
        return fresh


class OscListener:
    """A UDP socket bound to `host:port` that hands out the OSC messages it receives."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8000) -> None:
        self._sock = bind_udp(host, port)
        self.host, self.port = host, self._sock.getsockname()[1]

    def receive(self, timeout: float) -> list[tuple[str, tuple[Any, ...]]]:
        """The messages of the next datagram within `timeout` seconds ([] if none, or not OSC)."""
        self._sock.settimeout(max(0.001, timeout))
        try:
            data, sender = self._sock.recvfrom(65536)
        except TimeoutError:
            return []
        try:
            return parse_datagram(data)
        except ValueError as exc:
            log.warning("OSC from %s:%s: %s — ignored", sender[0], sender[1], exc)
            return []

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> OscListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def next_lines(listener: OscListener, learner: OscLearner, timeout: float) -> list[str]:
    """Wait up to `timeout` seconds for a message that gives new mapping lines, and return them
    ([] when the time ran out)."""
    end = time.monotonic() + timeout
    while (left := end - time.monotonic()) > 0:
        lines = [line for address, args in listener.receive(left) for line in learner.feed(address, args)]
        if lines:
            return lines
    return []
