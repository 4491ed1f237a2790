"""`EngineLoop`: the engine thread of a live performance (the main thread).

It blocks on the inbox for at most `MAX_WAIT_S` (or until the engine's next wake time), so a key
press, a footswitch or a reload result is handled as soon as it arrives and the worker is polled
often. Everything the engine does happens here; nothing here runs on the clock thread. An exception
from the engine is logged and shown, never fatal: the performance goes on.

It also turns the clock thread's late notes (`Sender.late_notes`) into warning lines — at once for the
first, then at most one a second — since the clock thread itself does no I/O. An engine error that
repeats (one failing on every step) is logged and recorded at most once a second, with its count.

It runs on a `Rig` (the engine and the live parts, typed) and owns the `StageState`: what the stage
display shows besides the engine's status. The engine thread writes it; rich's refresh thread reads
`info`, which is replaced whole, never mutated. With a `StageLink` (`--web`, OSC) it also builds the
stage page's view 25 times a second and obeys the page's and OSC's commands from the inbox.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias, TypeVar

import mido

from conductor.engine.clock import Clock
from conductor.engine.take_events import (
    EngineFault,
    NotesLate,
    ReloadAccepted,
    ReloadRejected,
    WorkerRestarted,
)
from conductor.live.clock_in import ClockFollower
from conductor.live.display import StageInfo
from conductor.live.feedback import FeedbackFilter
from conductor.live.process_runner import WorkerHealth
from conductor.live.reload import Rejected, Reloaded, ReloadResult
from conductor.live.rig import Rig
from conductor.live.stage import confirm_text, reload_line, snapshot
from conductor.live.stage_link import RemoteParam, RemotePress, StageLink, apply_command
from conductor.live.stage_view import VIEW_EVERY_S, LoopFacts, ViewBuilder

log = logging.getLogger(__name__)
MAX_WAIT_S = 0.005
HEALTH_EVERY_S = 0.5
SNAPSHOT_EVERY_S = 0.25
EXIT_PORT_LOST = 3  # a port vanished mid-performance (see `conductor.live.perform`)
T = TypeVar("T")
# a message in, a reload's result, a command from the stage page or OSC, why to stop
Payload: TypeAlias = mido.Message | Reloaded | Rejected | RemotePress | RemoteParam | str
Inbox: TypeAlias = queue.SimpleQueue[tuple[float, str, Payload]]  # (t, role, payload)


@dataclass
class StageState:
    """What the display shows besides the engine's status. Engine thread writes; `info` is replaced
    whole (rich's refresh thread reads it)."""

    info: StageInfo
    reload_text: str = "-"
    reload_error: str = ""  # the whole text of the last rejected edit, until a good one
    error: str = ""


@dataclass(frozen=True, slots=True)
class LoopOptions:
    """The loop's settings: the piece's title, `--duration`, the port names to watch (substrings for
    virtual ports)."""

    title: str
    duration: float | None = None
    watched: tuple[str, ...] = ()
    substring: bool = False


class EngineLoop:
    """Runs until a stop request, the piece's end, `--duration`, or a vanished port."""

    def __init__(
        self, rig: Rig, inbox: Inbox, clock: Clock, feedback: FeedbackFilter, options: LoopOptions,
        link: StageLink | None = None,
    ) -> None:  # fmt: skip
        self.rig, self.inbox, self.clock, self.feedback, self.options = rig, inbox, clock, feedback, options
        self.engine, self.sender, self.runner, self.recorder = (
            rig.engine,
            rig.sender,
            rig.runner,
            rig.recorder,
        )
        self.stage = StageState(StageInfo(piece=options.title))
        self._status_rc = 0
        self._running = True
        self._next_health = self._next_snapshot = 0.0
        self._last_section: str | None = None
        self._last_worker_error: str | None = None
        self._restarts = 0
        self.clock_in = ClockFollower(self.engine)  # a `midi.clock` source's beats (role "clock")
        self._missing_once = False
        self._repeats = Repeats()
        self.link = link if link is not None and link.active else None
        self._views = ViewBuilder(options.title, self.engine, self.sender)
        self._next_view = 0.0

    def run(self) -> int:
        """The loop; returns the exit status."""
        clock, duration = self.clock, self.options.duration
        wake: float | None = None
        while self._running:
            self._wait(wake)
            wake = self._guarded(self.engine.step, clock.now())
            self.sender.wake()
            if self.engine.stopped:
                log.info("the piece has ended")
                break
            if duration is not None and clock.now() >= duration:
                log.info("--duration reached")
                break
            self._housekeeping()
        return self._status_rc

    def _wait(self, wake: float | None) -> None:
        now = self.clock.now()
        timeout = MAX_WAIT_S if wake is None else min(MAX_WAIT_S, max(0.0, wake - now))
        try:
            item = self.inbox.get(timeout=timeout)
        except queue.Empty:
            return
        self._handle(*item)
        while self._running:  # everything else already waiting
            try:
                item = self.inbox.get_nowait()
            except queue.Empty:
                return
            self._handle(*item)

    def _handle(self, t: float, role: str, payload: Payload) -> None:
        if isinstance(payload, Reloaded | Rejected):
            self._reload(payload)
        elif isinstance(payload, RemotePress | RemoteParam):
            self._guarded(apply_command, self.engine, payload, t)
        elif isinstance(payload, str):
            log.info("stopping (%s): closing every note and saving the take", payload)
            self._running = False
        elif role == "input":
            if not self.feedback.is_echo(payload, t):
                self._guarded(self.engine.on_message, payload, t, "input")
        elif role == "footswitch":
            if self.recorder is not None:
                self.recorder.footswitch(payload, t)
            self._guarded(self.engine.on_message, payload, t, "footswitch")
        elif role == "clock":
            self._guarded(self.clock_in.message, payload, t)

    def _reload(self, result: ReloadResult) -> None:
        now = self.clock.now()
        self.stage.reload_text = reload_line(result)
        if isinstance(result, Rejected):
            self.stage.reload_error = result.error  # shown whole until the next good save
            if self.recorder is not None:
                self.recorder.record(ReloadRejected(result.error), now)
        else:
            self.stage.reload_error = ""
            delay_ms = (time.monotonic() - result.settled_at) * 1000.0
            self._guarded(self.engine.reload, result.piece, now)
            if self.link is not None:
                self.link.on_reload(result.piece)
            if self.recorder is not None:
                self.recorder.record(ReloadAccepted(result.piece.title, delay_ms), now)

    def _guarded(self, func: Callable[..., T], *args: object) -> T | None:
        try:
            return func(*args)
        except Exception as exc:  # never let the engine's bug end the show
            self.stage.error = f"{type(exc).__name__}: {exc}"
            repeats = self._repeats.due(self.stage.error, time.monotonic())
            if repeats is not None:
                self._report_error(repeats)
            return None

    def _report_error(self, repeats: int) -> None:
        again = f" (and {repeats} more times since it was last logged)" if repeats else ""
        log.exception("engine error (the performance goes on)%s", again)
        if self.recorder is not None:
            self.recorder.record(EngineFault(self.stage.error, repeats), self.clock.now())

    def _housekeeping(self) -> None:
        """Late-note warnings, port health, the display's snapshot: a failure in any of them is
        logged like an engine error and the show goes on."""
        mono = time.monotonic()
        self._guarded(self._warn_late, mono)
        self._guarded(self.clock_in.check, self.clock.now())
        if mono >= self._next_health:
            self._next_health = mono + HEALTH_EVERY_S
            self._guarded(self._check_ports)
        if mono >= self._next_snapshot:
            self._next_snapshot = mono + SNAPSHOT_EVERY_S
            self._guarded(self._snapshot)
        if self.link is not None and mono >= self._next_view:
            self._next_view = mono + VIEW_EVERY_S
            self._guarded(self._publish)

    def _warn_late(self, mono: float) -> None:
        """One warning line (and take event) for the notes the clock thread sent audibly late."""
        late = self.sender.late_notes
        report = late.report(mono)
        if report is None:
            return
        log.warning("%s", report.line(late.every_s))
        if self.recorder is not None:
            event = NotesLate(report.count, report.worst_ms, report.example)
            self.recorder.record(event, self.clock.now())

    def _check_ports(self) -> None:
        """A port counts as lost when two checks in a row miss it (one odd listing is not a loss)."""
        missing = self.rig.lister.missing(self.options.watched, substring=self.options.substring)
        if not missing:
            self._missing_once = False
            return
        gone = self.rig.lister.server_gone()
        if not self._missing_once and not gone:
            self._missing_once = True
            log.warning("MIDI port(s) not listed: %s; checking again", ", ".join(missing))
            return
        what = "the JACK server has stopped" if gone else "MIDI port(s) disappeared"
        log.error("%s: %s — stopping and saving the take", what, ", ".join(missing))
        self.stage.error = f"port lost: {', '.join(missing)}"
        self._status_rc = EXIT_PORT_LOST
        self._running = False

    def _snapshot(self) -> None:
        status = self._guarded(self.engine.status)
        if status is None:
            return
        health = self.runner.health()
        if health.last_error and health.last_error != self._last_worker_error:
            self._last_worker_error = health.last_error
            self.stage.error = health.last_error
        self._record_restarts(health, status.time)
        if status.section != self._last_section:
            self._last_section = status.section
            log.info("section: %s (%s)", status.section, status.mode)
        confirm = self.engine.controls.confirm_left(status.time)
        self.stage.info = snapshot(
            self.options.title, status, health, self.sender, confirm, reload=self.stage.reload_text,
            reload_error=self.stage.reload_error, error=self.stage.error, take=self._take(),
        )  # fmt: skip

    def _take(self) -> str:
        return str(self.recorder.log_path) if self.recorder is not None else "(not recording)"

    def _publish(self) -> None:
        """The stage page's view of now, into the link's box."""
        assert self.link is not None
        status = self.engine.status()
        notice = confirm_text(self.engine.controls.confirm_left(status.time))
        facts = LoopFacts(self.runner.health(), self.stage.reload_error, self._take(), notice)
        self.link.publish(self._views.build(status, facts))

    def _record_restarts(self, health: WorkerHealth, t: float) -> None:
        """A `worker_restart` line in the take for each restart of the model worker since the last look."""
        if health.restarts > self._restarts and self.recorder is not None:
            self.recorder.record(WorkerRestarted(health.restarts, health.last_error or ""), t)
        self._restarts = health.restarts


class Repeats:
    """Which of a stream of repeating messages to report: a new one at once, the same one at most
    once per `every_s`, with how many were held back. Engine thread only."""

    def __init__(self, every_s: float = 1.0, keep: int = 64) -> None:
        self.every_s = every_s
        self._keep = keep
        self._seen: dict[str, tuple[float, int]] = {}  # text -> (last reported, held back since)

    def due(self, text: str, now: float) -> int | None:
        """None to hold `text` back; else how many times it was held back since it was last reported."""
        last, held = self._seen.get(text, (None, 0))
        if last is not None and now - last < self.every_s:
            self._seen[text] = (last, held + 1)
            return None
        if len(self._seen) >= self._keep:
            self._seen.clear()
        self._seen[text] = (now, 0)
        return held
