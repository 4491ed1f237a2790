"""`Performance`: the wiring of a live performance.

Threads and who owns what:
- main thread = the ENGINE thread: drains the inbox (timestamped MIDI input, reload results, wake-ups),
  calls `Engine.on_message/step/reload/stop`, polls the worker through `ProcessRunner`, checks the
  ports, and builds the display snapshot. It is the only caller of the engine's non-thread-safe API.
- `conductor-clock` (`Sender`): sleeps to the next deadline, `Engine.drain(t)` → output port.
- rtmidi's callback threads: timestamp + enqueue only (`ports.enqueue_callback`).
- `conductor-reload` (`PieceWatcher`): debounce, parse, validate; enqueues the result.
- `conductor-take` (`TakeRecorder`): all take I/O. rich's refresh thread: draws `self._info`.
- the model worker PROCESS (`worker.py`).

Shutdown (Ctrl-C, SIGTERM, `--duration`, a vanished port, the piece's end) always goes through
`_finish`: the engine closes every sounding AI note, the clock thread is stopped and everything
still queued is sent from here, then All Notes Off (CC 123) on the AI channel, then the take is
closed (log flushed, MIDI file written).
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import mido

from conductor.engine.clock import RealClock
from conductor.engine.take_events import LatenessReport
from conductor.live import ports as midi_ports
from conductor.live.display import StageDisplay, StageInfo
from conductor.live.feedback import FeedbackFilter
from conductor.live.process_runner import ProcessRunner
from conductor.live.recorder import TakeRecorder
from conductor.live.reload import PieceWatcher, Rejected, ReloadResult
from conductor.live.sender import Sender
from conductor.piece.compiled import Piece

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PerformOptions:
    """Command-line choices; None falls back to the piece's `midi:` routing."""

    input: str | None = None
    output: str | None = None
    footswitch: str | None = None
    virtual: bool = False
    midi_api: str | None = None
    takes: Path | None = None
    display: bool = True
    realtime: bool = False
    seed: int = 0
    duration: float | None = None
    threads: int | None = None


class EngineOutput:
    """What the clock thread drains: the engine's scheduler deadlines, messages via `Engine.drain`."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine

    def next_deadline(self) -> float | None:
        return self._engine.scheduler.next_deadline()

    def due(self, t: float) -> list[tuple[float, mido.Message]]:
        return self._engine.drain(t)


class Performance:
    """One live performance of `piece`. `run()` blocks until it ends and returns the exit status."""

    def __init__(self, piece: Piece, options: PerformOptions) -> None:
        self.piece = piece
        self.opts = options
        self.clock = RealClock()
        self.inbox: queue.SimpleQueue[tuple[float, str, Any]] = queue.SimpleQueue()
        self.stopping = threading.Event()
        ai = piece.routing.ai_channel
        self.feedback = FeedbackFilter(ignore_channel=ai if ai != 0 else None)
        self.info = StageInfo(piece=piece.title)  # replaced whole by the engine thread; read by rich
        self.reload_text = "-"
        self.error = ""
        self._ports: dict[str, Any] = {}
        self._watched: tuple[str, ...] = ()
        self._parts: dict[str, Any] = {}

    # ---------------------------------------------------------------- set-up

    def open_ports(self) -> None:
        """Open output, input and footswitch ports (raises `ports.PortError` with the alternatives)."""
        be = midi_ports.backend(self.opts.midi_api)
        routing, v = self.piece.routing, self.opts.virtual
        self._ports["output"] = midi_ports.open_output(be, self.opts.output or routing.output, v)
        cb = midi_ports.enqueue_callback(self.inbox, self.clock.now, "input")
        self._ports["input"] = midi_ports.open_input(
            self.opts.midi_api, self.opts.input or routing.input, cb, v
        )
        self._open_footswitch()
        self._parts["lister"] = midi_ports.PortLister(self.opts.midi_api)
        self._watched = self._watch_names()

    def _open_footswitch(self) -> None:
        """Open the separate footswitch port, if any.

        One named with `--footswitch` must exist (the performer asked for it). One named only by the
        piece may be missing (a rehearsal at home, a DAW with `--virtual`): the show goes on with a
        warning, and the piece's footswitch mappings still work from the main input.
        """
        pedal = self.opts.footswitch or self.piece.routing.footswitch
        if pedal is None:
            return
        fcb = midi_ports.enqueue_callback(self.inbox, self.clock.now, "footswitch")
        try:
            self._ports["footswitch"] = midi_ports.open_input(self.opts.midi_api, pedal, fcb, False)
        except midi_ports.PortNotFound as exc:
            if self.opts.footswitch:
                raise
            log.warning("%s\ncontinuing without it: footswitch mappings still work from the main input", exc)

    def _watch_names(self) -> tuple[str, ...]:
        if self.opts.virtual:
            return (midi_ports.VIRTUAL_IN, midi_ports.VIRTUAL_OUT)  # matched as substrings
        return tuple(p.name for role, p in self._ports.items() if role != "footswitch")

    def start_model(self) -> ProcessRunner:
        """Start the worker process and wait for its model (start-up only)."""
        base = self.piece.path.parent if self.piece.path else None
        runner = ProcessRunner(self.piece.model, base, self.clock, threads=self.opts.threads)
        self._parts["runner"] = runner
        runner.wait_ready(timeout=300)
        return runner

    def _recorder(self) -> TakeRecorder | None:
        folder = self.opts.takes
        if folder is None and self.piece.recording.enabled:
            folder = self.piece.takes_folder()
        if folder is None:
            return None
        tb = self.piece.timebase
        rec = TakeRecorder(folder, self.piece.title, tb.bpm, f"{tb.beats_per_bar}/{tb.beat_unit}")
        rec.start()
        return rec

    def start_engine(self, runner: ProcessRunner) -> Any:
        """Engine, take, clock thread, watcher; the clock restarts so the piece begins at t = 0."""
        from conductor.engine.engine import Engine

        recorder = self._recorder()
        self._parts["recorder"] = recorder
        self.clock.restart()
        engine = Engine(self.piece, self.clock, runner, seed=self.opts.seed, recorder=recorder)
        self._parts["engine"] = engine
        sender = Sender(
            EngineOutput(engine), self._ports["output"], self.clock,
            on_sent=lambda msg, deadline, at: self.feedback.sent(msg, at), realtime=self.opts.realtime,
        )  # fmt: skip
        self._parts["sender"] = sender
        sender.start()  # after the worker: a FIFO clock thread must not be inherited by it
        if self.piece.path is not None:
            from conductor.piece.parser import shared_parser

            shared_parser().start()  # now: the first save need not wait for the parser process
            watcher = PieceWatcher(self.piece.path, _load, lambda r: self.inbox.put((0.0, "reload", r)))
            watcher.start()
            self._parts["watcher"] = watcher
        return engine

    # ---------------------------------------------------------------- running

    def run(self) -> int:
        """Open, play until stopped, close. Returns the exit status (0: a normal end)."""
        try:
            self.open_ports()
        except midi_ports.PortError as exc:
            print(f"error: {exc}")
            return 2
        old = self._install_signals()
        try:
            engine = self.start_engine(self.start_model())
            display = StageDisplay(lambda: self.info) if self.opts.display else None
            if display is not None:
                display.start()
            try:
                return self._loop(engine)
            finally:
                if display is not None:
                    display.stop()
        except RuntimeError as exc:
            log.error("%s", exc)
            return 1
        finally:
            self._finish()
            _restore_signals(old)

    def _loop(self, engine: Any) -> int:
        from conductor.live.loop import EngineLoop

        return EngineLoop(self, engine).run()

    def request_stop(self, why: str) -> None:
        """Ask the engine thread to end the performance. Thread-safe and signal-safe."""
        if not self.stopping.is_set():
            self.inbox.put((0.0, "stop", why))
        self.stopping.set()

    def _install_signals(self) -> dict[int, Any]:
        def handler(signum: int, frame: FrameType | None) -> None:
            self.request_stop(signal.Signals(signum).name)

        return {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}

    # ---------------------------------------------------------------- the end

    def _finish(self) -> None:
        """Close every note, send it, All Notes Off, stop the worker, save the take, close ports."""
        engine, sender = self._parts.get("engine"), self._parts.get("sender")
        now = self.clock.now()
        if engine is not None:
            engine.stop(now)
        if sender is not None:
            sender.stop()
            sender.send_due(now + 3600.0)  # every closing note-off still queued, from this thread
            self._all_notes_off(now)
            log.info("clock: %s", _lateness_line(sender))
            log.info("feedback: ignored %d of the AI's own messages coming back", self.feedback.dropped)
        for name in ("watcher", "runner"):
            part = self._parts.get(name)
            if part is not None:
                _quietly(part.stop if name == "watcher" else part.close)
        recorder = self._parts.get("recorder")
        if recorder is not None:
            if sender is not None:
                _quietly(lambda: recorder.record(_lateness_event(sender), now))
            recorder.close()
            log.info("take saved: %s and %s", recorder.log_path, recorder.midi_path)
        for port in self._ports.values():
            _quietly(port.close)

    def _all_notes_off(self, now: float) -> None:
        ch = self.piece.routing.ai_channel
        msg = mido.Message("control_change", channel=ch, control=123, value=0)
        _quietly(lambda: self._ports["output"].send(msg))
        recorder = self._parts.get("recorder")
        if recorder is not None:
            recorder.ai(msg, now)


def _load(path: Path) -> Piece:
    """What the reload watcher parses with: the parser process (`conductor.piece.parser`), so that no
    edit, however hostile, takes this process's memory or GIL from the clock thread."""
    from conductor.piece.parser import shared_parser

    return shared_parser().load(path)


def _lateness_line(sender: Sender) -> str:
    s = sender.lateness()
    return f"{s.count} sends, lateness p50 {s.p50_ms:.3f} ms, p99 {s.p99_ms:.3f} ms, max {s.max_ms:.3f} ms"


def _lateness_event(sender: Sender) -> LatenessReport:
    s = sender.lateness()
    return LatenessReport(s.count, s.p50_ms, s.p99_ms, s.max_ms, sender.scheduled_late)


def _quietly(func: Any) -> None:
    try:
        func()
    except Exception as exc:
        log.warning("while stopping: %s", exc)


def _restore_signals(old: dict[int, Any]) -> None:
    for signum, handler in old.items():
        signal.signal(signum, handler)


def reload_line(result: ReloadResult) -> str:
    """What the display's `reload` row says about a result."""
    stamp = time.strftime("%H:%M:%S")
    if isinstance(result, Rejected):
        first = result.error.strip().splitlines()[0] if result.error.strip() else "invalid"
        return f"rejected {stamp}: {first}"
    return f"applied {stamp}"
