"""`OscReceiver`: OSC over UDP, in a thread of its own, turned into presses and parameter changes.

Each datagram is checked before any work is spent on it: from a sender the receiver accepts (when
`allowed` names some), within `rate` datagrams a second from its address (more is a flood: read and
dropped unparsed; a flooding device does not silence another). Whatever comes, the thread reads at
most READ_RATE datagrams a second and sleeps when that budget is spent, letting the kernel drop the
excess: a thread reading a flood back to back would hold the interpreter lock the clock thread
waits for (a 20,000/s flood read that way made 5 ms wake-ups late by p99 5 ms; bench/bench_stage.py).
Then each message goes through the `OscMap`: an unknown address, arguments of the wrong type or
count, bytes that are not OSC, more than `action_rate` presses a second on one address — each is
logged (the first of a kind at once, then one summary a second) and ignored; the show goes on. A
fader's values are coalesced: each parameter is sent at most `param_rate` times a second and its last
value always arrives.

Thread safety: `start`/`stop` from the thread that owns the performance; the receiving thread calls
the `StageCommands` sink (thread-safe by contract) and touches nothing else shared. `mapping` may be
replaced whole from another thread (a reloaded piece: one reference store, read once per message).
Never the clock thread.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterable
from typing import Any

from conductor.stage.limits import QuietLog, TokenBucket
from conductor.stage.osc_map import Fire, OscArgumentError, OscMap, describe, parse_datagram
from conductor.stage.udp import bind_udp
from conductor.stage.view import StageCommands

log = logging.getLogger("conductor.stage.osc")

DEFAULT_PORT = 8000  # TouchOSC's default port to send to
MAX_DATAGRAM = 65536
MAX_BUCKETS = 256
READ_RATE, READ_BURST = 2000.0, 100.0  # datagrams read a second at most, whatever comes (see below)
POLL_S = 0.02  # the receiving thread wakes at least this often (to send held-back fader values)


class OscReceiver:
    """Listens on `host:port` (UDP) and obeys the messages `mapping` maps."""

    def __init__(
        self,
        mapping: OscMap,
        commands: StageCommands,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        *,
        allowed: Iterable[str] = (),
        rate: float = 500.0,
        action_rate: float = 10.0,
        param_rate: float = 50.0,
    ) -> None:
        self.mapping, self.commands = mapping, commands
        self.host, self.port = host, port
        self.allowed = frozenset(allowed)
        self._rate = rate
        self._reads = TokenBucket(READ_RATE, READ_BURST)  # all senders together
        self._senders: dict[str, TokenBucket] = {}  # a bucket per sender's address: one flooding device
        self._action_rate = action_rate
        self._presses: dict[str, TokenBucket] = {}
        self._param_gap = 1.0 / param_rate
        self._pending: dict[str, float] = {}  # parameter → value not sent yet
        self._sent_at: dict[str, float] = {}
        self._warnings = QuietLog(log)
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.counts = {"messages": 0, "presses": 0, "params": 0, "ignored": 0}  # written by its thread only

    def start(self) -> tuple[str, int]:
        """Bind and start receiving; returns (host, port). Raises StageError if the port is taken."""
        sock = bind_udp(self.host, self.port)
        sock.settimeout(POLL_S)
        self._sock = sock
        self.port = sock.getsockname()[1]
        self._thread = threading.Thread(target=self._run, name="conductor-osc-in", daemon=True)
        self._thread.start()
        return self.host, self.port

    def stop(self, timeout: float = 2.0) -> None:
        """Stop receiving and close the port (idempotent)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._sock is not None:
            self._sock.close()

    def _run(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            wait = self._reads.wait(time.monotonic())
            if wait > 0:  # the read budget is spent: let the kernel drop the excess meanwhile
                self._stop.wait(wait)
                continue
            self._reads.take(time.monotonic())
            try:
                data, sender = self._sock.recvfrom(MAX_DATAGRAM)
            except TimeoutError:
                data = b""
            except OSError as exc:
                self._warnings.warn(
                    "socket", f"OSC: receiving failed ({exc}); still listening", time.monotonic()
                )
                self._stop.wait(POLL_S)
                continue
            now = time.monotonic()
            try:
                if data:
                    self._receive(data, f"{sender[0]}:{sender[1]}", sender[0], now)
                self._flush(now)
            except Exception as exc:  # whatever a message did, the receiver goes on
                self._warnings.warn("bug", f"OSC: a message could not be handled: {exc!r}", now)
            self._warnings.flush(now)

    def _receive(self, data: bytes, who: str, ip: str, now: float) -> None:
        if self.allowed and ip not in self.allowed:
            return self._ignore("sender", f"OSC from {who}: not an allowed sender — ignored", now)
        if not self._bucket(self._senders, ip, self._rate).take(now):
            return self._ignore("flood", f"OSC flood from {who}: more than {self._rate:.0f} "
                                         "messages a second — the excess is ignored", now)  # fmt: skip
        try:
            messages = parse_datagram(data)
        except ValueError as exc:
            return self._ignore("parse", f"OSC from {who}: {exc} — ignored", now)
        for address, args in messages:
            self.counts["messages"] += 1
            self._dispatch(address, args, who, now)
        return None

    def _dispatch(self, address: str, args: tuple[Any, ...], who: str, now: float) -> None:
        mapping = self.mapping.get(address)
        if mapping is None:
            hint = "(`conductor learn --osc` prints a mapping line for it)"
            return self._ignore("unknown", f"OSC from {who}: {address} is not mapped — ignored {hint}", now)
        try:
            fire = self.mapping.interpret(mapping, args)
        except OscArgumentError as exc:
            return self._ignore(
                f"args {address}", f"OSC {address} from {who} {exc}; got {describe(args)} — ignored", now
            )
        if fire is None:
            return None
        if fire.param is not None:
            return self._param(address, fire, now)
        return self._press(address, fire, who, now)

    def _press(self, address: str, fire: Fire, who: str, now: float) -> None:
        if not self._bucket(self._presses, address, self._action_rate).take(now):
            limit = f"more than {self._action_rate:.0f} presses a second"
            return self._ignore(f"presses {address}", f"OSC {address} from {who}: {limit} — ignored", now)
        assert fire.action is not None
        self.counts["presses"] += 1
        self._call("press", fire.action, fire.target, now=now)
        return None

    def _param(self, address: str, fire: Fire, now: float) -> None:
        assert fire.param is not None
        if fire.clamped:
            self._warnings.warn(f"clamp {address}", f"OSC {address}: a value outside 0..1 was clamped "
                                                   "(set the control's range to 0..1)", now)  # fmt: skip
        self._pending[fire.param] = fire.value
        self._flush(now)

    def _flush(self, now: float) -> None:
        """Send each held-back parameter value whose parameter has not been sent for a gap."""
        for name, value in list(self._pending.items()):
            if now - self._sent_at.get(name, -1e9) >= self._param_gap:
                del self._pending[name]
                self._sent_at[name] = now
                self.counts["params"] += 1
                self._call("set_param", name, value, now=now)

    def _call(self, method: str, *args: Any, now: float) -> None:
        try:
            getattr(self.commands, method)(*args)
        except Exception as exc:  # the sink's failure must not end the receiver
            self._warnings.warn("sink", f"OSC: {method}{args} failed: {exc!r}", now)

    @staticmethod
    def _bucket(buckets: dict[str, TokenBucket], key: str, rate: float) -> TokenBucket:
        """`key`'s bucket; all are forgotten past MAX_BUCKETS keys (a flood of made-up addresses)."""
        if key not in buckets and len(buckets) >= MAX_BUCKETS:
            buckets.clear()
        return buckets.setdefault(key, TokenBucket(rate, rate))

    def _ignore(self, kind: str, message: str, now: float) -> None:
        self.counts["ignored"] += 1
        self._warnings.warn(kind, message, now)
