"""`OscStateSender`: the performance's state sent as OSC to a host, so a lighting desk or a Max patch can
follow the set.

Addresses sent (each only when its value changes; all of them once at the start):

    /conductor/section    s:name i:index s:mode  index from 0; -1 before the start and after the end
    /conductor/next       s:name                 "-" after the last section
    /conductor/key        s:key                  "G major"; "-" until one is detected
    /conductor/ai         s:state                listening, thinking, playing, held, waiting, muted, stopped
    /conductor/bars_left  i:bars                 whole bars left, rounded up; -1: waits for the footswitch
    /conductor/tempo      f:bpm

`messages(view)` is pure. The sender's thread reads the `ViewBox` `rate` times a second (never the
engine or clock thread); a send that fails (no route to the host) is logged once a second and the
show goes on.
"""

from __future__ import annotations

import logging
import math
import socket
import threading
import time
from typing import Any

from pythonosc.udp_client import SimpleUDPClient

from conductor.stage.limits import QuietLog
from conductor.stage.view import StageError, StageView, ViewBox

log = logging.getLogger("conductor.stage.osc")

PREFIX = "/conductor"
Messages = dict[str, tuple[Any, ...]]  # address → arguments


def messages(view: StageView) -> Messages:
    """{address: arguments} describing `view`."""
    bars = -1 if view.bars_left is None else math.ceil(view.bars_left - 1e-6)
    return {
        f"{PREFIX}/section": (view.section, -1 if view.current is None else view.current, view.mode),
        f"{PREFIX}/next": (view.next_section,),
        f"{PREFIX}/key": (view.key,),
        f"{PREFIX}/ai": (view.ai_state,),
        f"{PREFIX}/bars_left": (max(-1, bars),),
        f"{PREFIX}/tempo": (float(view.tempo),),
    }


def changes(old: Messages, new: Messages) -> list[tuple[str, tuple[Any, ...]]]:
    """The (address, arguments) of `new` that differ from `old`, in the order of `new`."""
    return [(address, args) for address, args in new.items() if old.get(address) != args]


class OscStateSender:
    """Sends `box`'s state changes to `host:port` from a thread of its own. Raises StageError when
    the destination cannot be used (a port out of range, a host that does not resolve)."""

    def __init__(self, box: ViewBox, host: str, port: int, *, rate: float = 20.0) -> None:
        self.box, self.host, self.port = box, host, port
        self._period = 1.0 / rate
        self._client = _client(host, port)
        self._sent: dict[str, tuple[Any, ...]] = {}
        self._version = -1
        self._warnings = QuietLog(log)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> None:
        """Start sending from a thread of its own."""
        self._thread = threading.Thread(target=self._run, name="conductor-osc-out", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Send the last changes, then stop (idempotent)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            self._guarded()
        self._guarded()

    def _guarded(self) -> None:
        try:
            self.send_changes()
        except Exception as exc:  # a view that cannot be sent must not end the thread
            self._warnings.warn("view", f"OSC: could not send the state: {exc!r}", time.monotonic())

    def send_changes(self) -> int:
        """Send what changed since the last call; returns how many messages went out. The sender's
        thread calls it; call it directly only when the sender is not started."""
        version, view = self.box.latest()
        if version == self._version:
            return 0
        self._version = version
        sent = 0
        for address, args in changes(self._sent, messages(view)):
            try:
                self._client.send_message(address, list(args))
            except (OSError, OverflowError, ValueError) as exc:
                message = f"OSC: sending to {self.host}:{self.port} failed: {exc}"
                self._warnings.warn("send", message, time.monotonic())
                continue
            self._sent[address] = args
            sent += 1
        return sent


def _client(host: str, port: int) -> SimpleUDPClient:
    """A client for `host:port`, the host resolved once here (python-osc would look a name up again on
    every send). Raises StageError naming the destination."""
    where = f"{host}:{port}"
    if not 0 < port <= 65535:
        raise StageError(f"cannot send OSC to {where}: the port must be 1..65535")
    try:
        address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0][4][0]
        return SimpleUDPClient(str(address), port)
    except (OSError, ValueError) as exc:
        raise StageError(f"cannot send OSC to {where}: {exc} — check the host and port") from exc
