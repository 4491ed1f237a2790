"""The stage page and OSC in a live performance: `conductor perform --web` / `--osc` and the piece's `osc:`.

`StageLink` owns the parts of `conductor.stage` a performance runs — the `StageServer` (the page),
the `OscReceiver` (OSC in) and the `OscStateSender` (OSC out) — and the `ViewBox` between them and the
engine thread. Their commands come back through `InboxCommands`, which puts each onto the engine
thread's inbox stamped with the performance clock, exactly as a footswitch message is; the engine
thread then calls `apply_command`, which presses the mapping through the same debounce, stop
confirmation and bar quantisation as the footswitch (`Engine.press_mapping`).

Which mapping a remote press fires: an OSC press fires the piece's own `controls:` entry for that
address (its debounce and confirm_stop); a button on the page fires a mapping of the page's own
(`OscTrigger('/stage/<action>')`, so page presses bounce off each other, not off the pedal) with the
debounce and confirm_stop of the piece's first control for that action, or the defaults.

Threads: `start`/`stop`/`on_reload`/`publish` on the engine (main) thread; `InboxCommands` from the
server's and the receiver's threads (it only puts onto a `SimpleQueue`: thread-safe, never blocks).
Nothing here runs on or waits for the clock thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from conductor.engine.engine import Engine
from conductor.piece.compiled import ActionMapping, OscTrigger, Piece
from conductor.piece.names import Action, Param
from conductor.stage.osc_in import DEFAULT_PORT as OSC_PORT
from conductor.stage.osc_in import OscReceiver
from conductor.stage.osc_map import OscAction, OscMap, OscParam
from conductor.stage.osc_out import OscStateSender
from conductor.stage.server import StageServer
from conductor.stage.view import StageView, ViewBox

log = logging.getLogger(__name__)
WEB, OSC = "web", "osc"


@dataclass(frozen=True, slots=True)
class RemotePress:
    """A press from the page (`source` web) or OSC, for the engine thread."""

    source: str
    action: str
    target: str | None = None


@dataclass(frozen=True, slots=True)
class RemoteParam:
    """A live parameter set from the page or an OSC fader, for the engine thread."""

    name: str
    value: float


@dataclass(frozen=True, slots=True)
class StageOptions:
    """Where to serve the page and OSC; None: not at all (OSC: unless the piece asks for it)."""

    web: tuple[str, int] | None = None
    public: bool = False
    osc: tuple[str, int] | None = None  # where to listen; overrides the piece's osc: port and host
    osc_send: tuple[str, int] | None = None  # where to send the state; overrides the piece's send_to


class InboxCommands:
    """`StageCommands` onto the engine thread's inbox. Thread-safe, never blocks; dropped before the
    performance starts (as MIDI input is)."""

    def __init__(
        self, put: Callable[[Any], None], now: Callable[[], float], started: threading.Event, source: str
    ) -> None:
        self._put, self._now, self._started, self.source = put, now, started, source

    def press(self, action: str, target: str | None = None) -> None:
        if self._started.is_set():
            self._put((self._now(), "stage", RemotePress(self.source, action, target)))

    def set_param(self, name: str, value: float) -> None:
        if self._started.is_set():
            self._put((self._now(), "stage", RemoteParam(name, value)))


def remote_mapping(piece: Piece, press: RemotePress) -> ActionMapping:
    """The mapping `press` fires (see the module docstring)."""
    action = Action(press.action)
    osc = [m for m in piece.actions if isinstance(m.trigger, OscTrigger) and m.action is action]
    if press.source == OSC:
        for mapping in osc:
            if mapping.target in (None, press.target):
                return replace(mapping, target=press.target)
    like = next((m for m in piece.actions if m.action is action), None)
    page = OscTrigger(f"/stage/{action.value}")
    if like is None:
        return ActionMapping(page, action, press.target)
    return ActionMapping(page, action, press.target, like.debounce, like.confirm_stop)


def apply_command(engine: Engine, command: RemotePress | RemoteParam, t: float) -> None:
    """Obey a page's or OSC's command at `t` (engine thread)."""
    if isinstance(command, RemotePress):
        names = [s.name for s in engine.piece.sections]
        if command.action == Action.GOTO.value and command.target not in names:
            log.warning("%s: goto %r: no such section (%s) — ignored", command.source, command.target,
                        ", ".join(names))  # fmt: skip
            return
        engine.press_mapping(remote_mapping(engine.piece, command), t)
    else:
        engine.set_param(Param(command.name), command.value, t)


def osc_map(piece: Piece) -> OscMap:
    """The piece's OSC addresses as the receiver maps them."""
    actions = tuple(
        OscAction(m.trigger.address, m.action.value, m.target)
        for m in piece.actions
        if isinstance(m.trigger, OscTrigger)
    )
    params = tuple(OscParam(p.address, str(p.param), p.low, p.high) for p in piece.osc.params)
    return OscMap(actions, params)


class StageLink:
    """The page and OSC of one performance (see the module docstring)."""

    def __init__(self, piece: Piece, options: StageOptions, put: Callable[[Any], None],
                 now: Callable[[], float], started: threading.Event) -> None:  # fmt: skip
        self.piece, self.options = piece, options
        self.box = ViewBox(StageView(piece.title, worker="starting"))
        self._commands = (put, now, started)
        self.server: StageServer | None = None
        self.receiver: OscReceiver | None = None
        self.sender: OscStateSender | None = None

    @property
    def active(self) -> bool:
        """Does anything read the views (is it worth building them)?"""
        return self.server is not None or self.sender is not None

    def start(self) -> list[str]:
        """Start what the options and the piece ask for; the lines to print for the performer.
        Raises StageError (an address in use, a public bind without the flag, a bad destination)."""
        lines: list[str] = []
        try:
            lines += self._start_web()
            lines += self._start_osc()
        except Exception:
            self.stop()
            raise
        return lines

    def _start_web(self) -> list[str]:
        if self.options.web is None:
            return []
        host, port = self.options.web
        commands = InboxCommands(*self._commands, WEB)
        self.server = StageServer(self.box, commands, host, port, public=self.options.public)
        url = self.server.start()
        if self.server.token is None:
            return [f"stage page: {url}"]
        return [f"stage page: {url}", "  (open to the network: only with this address and its token)"]

    def _start_osc(self) -> list[str]:
        lines = []
        mapping, spec = osc_map(self.piece), self.piece.osc
        listen = self.options.osc
        if listen is None and (spec.port is not None or mapping.actions or mapping.params):
            listen = (spec.host, spec.port or OSC_PORT)
        if listen is not None:
            self.receiver = OscReceiver(mapping, InboxCommands(*self._commands, OSC), *listen)
            host, port = self.receiver.start()
            known = len(mapping.actions) + len(mapping.params)
            lines.append(f"OSC in: {host}:{port} ({known} mapped addresses)")
        send_to = self.options.osc_send or spec.send_to
        if send_to is not None:
            self.sender = OscStateSender(self.box, *send_to)
            self.sender.start()
            lines.append(f"OSC out: the state to {send_to[0]}:{send_to[1]}")
        return lines

    def publish(self, view: StageView) -> None:
        """The newest view, for the page and OSC out (engine thread)."""
        self.box.set(view)

    def on_reload(self, piece: Piece) -> None:
        """A reloaded piece's OSC addresses take effect at once (engine thread)."""
        self.piece = piece
        if self.receiver is not None:
            try:
                self.receiver.mapping = osc_map(piece)
            except ValueError as exc:
                log.warning("OSC: the reloaded piece's addresses were not applied: %s", exc)

    def stop(self) -> None:
        """Stop every part started (idempotent; each failure logged, the rest still stopped)."""
        for part in (self.server, self.receiver, self.sender):
            if part is None:
                continue
            try:
                part.stop()
            except Exception as exc:
                log.warning("stage: while stopping %s: %s", type(part).__name__, exc)
