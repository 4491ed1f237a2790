"""`Performance`: the wiring of a live performance.

Threads and who owns what:
- main thread = the ENGINE thread: drains the inbox (timestamped MIDI input, reload results, wake-ups),
  calls `Engine.on_message/step/reload/stop`, polls the worker through `ProcessRunner`, checks the
  ports, and builds the display snapshot. It is the only caller of the engine's non-thread-safe API.
- `conductor-clock` (`Sender`): sleeps to the next deadline, `Engine.drain(t)` → output port.
- the input reader threads: timestamp + enqueue only (`ports.enqueue_callback`); input that arrives
  before the engine starts (while the model loads) is dropped, never stamped on the old clock.
- `conductor-reload` (`PieceWatcher`): debounce, parse, validate; enqueues the result.
- `conductor-take` (`TakeRecorder`): all take I/O. rich's refresh thread: draws `self._info`.
- the model worker PROCESS (`worker.py`).

Every way out goes through `conductor.live.finish.finish`: Ctrl-C, SIGTERM, SIGHUP (a closed terminal
or ssh session), SIGQUIT, `--duration`, a vanished port, the piece's end, a port error while opening,
a model that cannot load, an internal error, a stop during start-up, a forced stop when the engine
thread does not stop when asked (`conductor.live.stopping`). `finish` closes every note, sends it,
sends All Notes Off, stops the worker, saves the take and closes the ports, each step guarded so
that one failing never skips the rest.

Exit status: 0 a normal end (also a stop during start-up), 1 the model could not load, 2 a port error
(a piece error is 2 as well, from `conductor perform`), 3 a port vanished mid-performance, 4 an
internal error or a forced stop (the take is saved all the same).
"""

from __future__ import annotations

import itertools
import logging
import queue
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mido

from conductor.backends.base import ModelError
from conductor.engine.clock import RealClock
from conductor.live import ports as midi_ports
from conductor.live.display import StageDisplay, StageInfo
from conductor.live.feedback import FeedbackFilter
from conductor.live.finish import finish, summary_log
from conductor.live.process_runner import ProcessRunner
from conductor.live.recorder import TakeRecorder
from conductor.live.reload import PieceWatcher
from conductor.live.sender import Sender
from conductor.live.stopping import EmergencyStop, StopSignals
from conductor.piece.compiled import Piece

log = logging.getLogger(__name__)
EXIT_OK, EXIT_MODEL, EXIT_SETUP, EXIT_PORT_LOST, EXIT_INTERNAL = 0, 1, 2, 3, 4


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
        self.started = threading.Event()  # set once the engine runs: input before it is dropped
        self.phase = "starting"  # starting | playing | finishing (main thread writes; signal handler reads)
        ai = piece.routing.ai_channel
        self.feedback = FeedbackFilter(ignore_channel=ai if ai != 0 else None)
        self.info = StageInfo(piece=piece.title)  # replaced whole by the engine thread; read by rich
        self.reload_text = "-"
        self.reload_error = ""  # the whole text of the last rejected edit, until a good one
        self.error = ""
        self._early = itertools.count()  # input messages dropped before the start (reader threads)
        self._ports: dict[str, Any] = {}
        self._watched: tuple[str, ...] = ()
        self._parts: dict[str, Any] = {}

    # ---------------------------------------------------------------- set-up

    def open_ports(self) -> None:
        """Open output, input and footswitch ports (raises `ports.PortError` with the alternatives).
        Each port is kept as soon as it is open, so `finish` closes it whatever fails next."""
        be = midi_ports.backend(self.opts.midi_api)
        routing, v = self.piece.routing, self.opts.virtual
        self._ports["output"] = midi_ports.open_output(be, self.opts.output or routing.output, v)
        self._ports["input"] = midi_ports.open_input(
            self.opts.midi_api, self.opts.input or routing.input, self._input("input"), v
        )
        self._open_footswitch()
        self._parts["lister"] = midi_ports.PortLister(self.opts.midi_api)
        self._watched = self._watch_names()

    def _input(self, role: str) -> Any:
        """The reader threads' callback: stamp and enqueue once the engine runs, drop before."""
        enqueue = midi_ports.enqueue_callback(self.inbox, self.clock.now, role)

        def callback(msg: mido.Message) -> None:
            if self.started.is_set():
                enqueue(msg)
            else:
                next(self._early)

        return callback

    def _open_footswitch(self) -> None:
        """Open the separate footswitch port, if any.

        One named with `--footswitch` must exist (the performer asked for it). One named only by the
        piece may be missing (a rehearsal at home, a DAW with `--virtual`): the show goes on with a
        warning, and the piece's footswitch mappings still work from the main input.
        """
        pedal = self.opts.footswitch or self.piece.routing.footswitch
        if pedal is None:
            return
        try:
            self._ports["footswitch"] = midi_ports.open_input(
                self.opts.midi_api, pedal, self._input("footswitch"), False
            )
        except midi_ports.PortNotFound as exc:
            if self.opts.footswitch:
                raise
            log.warning("%s\ncontinuing without it: footswitch mappings still work from the main input", exc)

    def _watch_names(self) -> tuple[str, ...]:
        if self.opts.virtual:
            return (midi_ports.VIRTUAL_IN, midi_ports.VIRTUAL_OUT)  # matched as substrings
        return tuple(p.name for role, p in self._ports.items() if role != "footswitch")

    def start_model(self) -> ProcessRunner | None:
        """Start the worker process and wait for its model (start-up only); None if a stop was
        asked for meanwhile. Raises ModelError if the model cannot load."""
        base = self.piece.path.parent if self.piece.path else None
        runner = ProcessRunner(self.piece.model, base, self.clock, threads=self.opts.threads)
        self._parts["runner"] = runner
        return runner if runner.wait_ready(timeout=300, cancelled=self.stopping.is_set) else None

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
        self.started.set()  # after the restart: no input is ever stamped on the old clock
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
        early = next(self._early)
        if early:
            log.info("ignored %d MIDI messages that came in before the performance started", early)
        return engine

    # ---------------------------------------------------------------- running

    def run(self) -> int:
        """Open, play until stopped, close. Returns the exit status (see the module docstring)."""
        signals = StopSignals(self.request_stop, lambda: self.phase == "finishing")
        signals.install()  # first: a signal during start-up must end cleanly too
        try:
            return self._perform()
        except EmergencyStop as exc:
            self.phase = "finishing"
            log.error("the engine did not stop when asked (%s): stopped by force", exc)
            return EXIT_INTERNAL
        except Exception:
            self.phase = "finishing"
            log.exception("the performance ended on an internal error; closing every note, saving the take")
            return EXIT_INTERNAL
        finally:
            self.phase = "finishing"
            finish(self)
            signals.restore()

    def _perform(self) -> int:
        try:
            self.open_ports()
        except midi_ports.PortError as exc:
            _say(f"error: {exc}")
            return EXIT_SETUP
        try:
            runner = self.start_model() if not self.stopping.is_set() else None
        except ModelError as exc:
            log.error("%s", exc)
            return EXIT_MODEL
        if runner is None:
            log.info("stopped before the performance began")
            return EXIT_OK
        engine = self.start_engine(runner)
        self.phase = "playing"
        summary_log.info("performance started: %s (Ctrl-C ends it: every note is closed, the take saved)",
                         self.piece.title)  # fmt: skip
        display = StageDisplay(lambda: self.info) if self.opts.display else None
        if display is not None:
            display.start()
        try:
            return self._loop(engine)
        finally:
            if display is not None:
                _quietly(display.stop)

    def _loop(self, engine: Any) -> int:
        from conductor.live.loop import EngineLoop

        return EngineLoop(self, engine).run()

    def request_stop(self, why: str) -> None:
        """Ask the engine thread to end the performance. Thread-safe and signal-safe."""
        if not self.stopping.is_set():
            self.inbox.put((0.0, "stop", why))
        self.stopping.set()

    def all_notes_off(self, now: float) -> None:
        """All Notes Off (CC 123) on the AI channel, sent and recorded (the end of the show)."""
        ch = self.piece.routing.ai_channel
        msg = mido.Message("control_change", channel=ch, control=123, value=0)
        self._ports["output"].send(msg)
        recorder = self._parts.get("recorder")
        if recorder is not None:
            recorder.ai(msg, now)


def _load(path: Path) -> Piece:
    """What the reload watcher parses with: the parser process (`conductor.piece.parser`), so that no
    edit, however hostile, takes this process's memory or GIL from the clock thread."""
    from conductor.piece.parser import shared_parser

    return shared_parser().load(path)


def _say(text: str) -> None:
    """Print for the performer; a terminal that has gone (SIGHUP) is not an error."""
    try:
        print(text, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        log.error("%s", text)


def _quietly(func: Any) -> None:
    try:
        func()
    except Exception as exc:
        log.warning("while stopping: %s", exc)
