"""`Performance`: the wiring of a live performance.

Threads and who owns what:
- main thread = the ENGINE thread: drains the inbox (timestamped MIDI input, reload results, wake-ups),
  calls `Engine.on_message/step/reload/stop`, polls the worker through `ProcessRunner`, checks the
  ports, and builds the display snapshot. It is the only caller of the engine's non-thread-safe API.
- `conductor-clock` (`Sender`): sleeps to the next deadline, `Engine.drain(t)` → output port.
- the input reader threads: timestamp + enqueue only (`ports.enqueue_callback`); input that arrives
  before the engine starts (while the model loads) is dropped, never stamped on the old clock.
- `conductor-reload` (`PieceWatcher`): debounce, parse, validate; enqueues the result.
- `conductor-stage-web`, `conductor-osc-in`, `conductor-osc-out` (`StageLink`, with `--web`/`--osc`):
  the page and OSC; their commands are enqueued, they read the views the engine thread publishes.
- `conductor-take` (`TakeRecorder`): all take I/O. rich's refresh thread: draws the loop's
  `StageState.info`.
- the model worker PROCESS (`worker.py`).

The parts are typed: `self.opened` (`conductor.live.rig.Opened`) holds each one as soon as it is
open, the engine loop runs on the complete `Rig`.

Every way out goes through `conductor.live.finish.finish`: Ctrl-C, SIGTERM, SIGHUP (a closed terminal
or ssh session), SIGQUIT, `--duration`, a vanished port, the piece's end, a port error while opening,
a model that cannot load, an internal error, a stop during start-up, a forced stop when the engine
thread does not stop when asked (`conductor.live.stopping`). `finish` closes every note, sends it,
sends All Notes Off, stops the worker, saves the take and closes the ports, each step guarded so
that one failing never skips the rest.

Exit status: 0 a normal end (also a stop during start-up), 1 the model could not load, 2 a port error
or a takes folder that cannot be written (a piece error is 2 as well, from `conductor perform`), 3 a
port vanished mid-performance, 4 an internal error or a forced stop (the take is saved all the same).
"""

from __future__ import annotations

import itertools
import logging
import queue
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import mido

from conductor.backends.base import ModelError
from conductor.engine.clock import RealClock
from conductor.engine.engine import Engine
from conductor.live import ports as midi_ports
from conductor.live.display import StageDisplay
from conductor.live.engine_loop import EngineLoop, Inbox, LoopOptions
from conductor.live.feedback import FeedbackFilter
from conductor.live.finish import finish, summary_log
from conductor.live.port_watch import PortLister
from conductor.live.ports import PolledInput
from conductor.live.process_runner import ProcessRunner, model_label
from conductor.live.recorder import TakeRecorder, TakesFolderError, prepare_takes_folder
from conductor.live.reload import PieceWatcher
from conductor.live.rig import Opened, Rig
from conductor.live.sender import Sender
from conductor.live.stage import loading
from conductor.live.stage_link import StageLink, StageOptions
from conductor.live.stopping import EmergencyStop, StopSignals
from conductor.piece.compiled import Piece
from conductor.piece.parser import shared_parser
from conductor.stage.view import StageError

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
    stage: StageOptions = field(default_factory=StageOptions)  # the stage page and OSC (`--web`, `--osc`)


class EngineOutput:
    """What the clock thread drains: the engine's scheduler deadlines, messages via `Engine.drain`.
    Both thread-safe and realtime-safe (see `Engine.drain`)."""

    def __init__(self, engine: Engine) -> None:
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
        self.inbox: Inbox = queue.SimpleQueue()
        self.stopping = threading.Event()
        self.started = threading.Event()  # set once the engine runs: input before it is dropped
        self.phase = "starting"  # starting | playing | finishing (main thread writes; signal handler reads)
        ai = piece.routing.ai_channel
        self.feedback = FeedbackFilter(ignore_channel=ai if ai != 0 else None)
        self.opened = Opened()  # every part as soon as it is open (main thread)
        self._early = itertools.count()  # input messages dropped before the start (reader threads)
        self.display: StageDisplay | None = None
        self.link = StageLink(piece, options.stage, self.inbox.put, self.clock.now, self.started)

    # ---------------------------------------------------------------- set-up

    def open_ports(self) -> None:
        """Open output, input, footswitch and clock ports (raises `ports.PortError` with the alternatives).
        Each port is kept as soon as it is open, so `finish` closes it whatever fails next."""
        routing, v, opened = self.piece.routing, self.opts.virtual, self.opened
        opened.output = midi_ports.open_output(self.opts.midi_api, self.opts.output or routing.output, v)
        wanted = self.opts.input or routing.input
        opened.input = midi_ports.open_input(self.opts.midi_api, wanted, self._input("input"), v)
        self._open_side_inputs()
        opened.lister = PortLister(self.opts.midi_api)

    def _input(self, role: str) -> Callable[[mido.Message], None]:
        """The reader threads' callback: stamp and enqueue once the engine runs, drop before."""
        enqueue = midi_ports.enqueue_callback(self.inbox.put, self.clock.now, role)

        def callback(msg: mido.Message) -> None:
            if self.started.is_set():
                enqueue(msg)
            else:
                next(self._early)

        return callback

    def _open_side_inputs(self) -> None:
        """Open the separate footswitch port and the MIDI clock source (`midi.clock`), if any.

        A footswitch named with `--footswitch` must exist (the performer asked for it). A port named
        only by the piece may be missing (a rehearsal at home, a DAW with `--virtual`): the show goes
        on with a warning; the footswitch mappings still work from the main input, and without its
        clock the piece's tempo and the human's playing lead.
        """
        pedal = self.opts.footswitch or self.piece.routing.footswitch
        without = "footswitch mappings still work from the main input"
        self.opened.footswitch = self._side_input("footswitch", pedal, bool(self.opts.footswitch), without)
        without = "the piece's tempo and the human's playing lead"
        self.opened.clock = self._side_input("clock", self.piece.routing.clock, False, without)

    def _side_input(self, role: str, wanted: str | None, required: bool, without: str) -> PolledInput | None:
        """Open input `role` matching `wanted` (its own client; timing let through for the clock)."""
        if wanted is None:
            return None
        client = midi_ports.CLOCK if role == "clock" else midi_ports.FOOTSWITCH
        try:
            return midi_ports.open_input(
                self.opts.midi_api, wanted, self._input(role), False, client=client, timing=role == "clock"
            )
        except midi_ports.PortNotFound as exc:
            if required:
                raise
            log.warning("%s\ncontinuing without it: %s", exc, without)
            return None

    def _watched(self) -> tuple[str, ...]:
        """The port names whose disappearance ends the show (substrings for virtual ports)."""
        if self.opts.virtual:
            return (midi_ports.VIRTUAL_IN, midi_ports.VIRTUAL_OUT)
        return tuple(port.name for role, port in self.opened.ports() if role not in ("footswitch", "clock"))

    def start_model(self) -> ProcessRunner | None:
        """Start the worker process and wait for its model (start-up only); None if a stop was
        asked for meanwhile. Raises ModelError if the model cannot load."""
        base = self.piece.path.parent if self.piece.path else None
        runner = ProcessRunner(self.piece.model, base, self.clock, threads=self.opts.threads)
        self.opened.runner = runner
        return runner if runner.wait_ready(timeout=300, cancelled=self.stopping.is_set) else None

    def takes_folder(self) -> Path | None:
        """Where the take goes: `--takes`, else the piece's recording folder (None: not recording)."""
        if self.opts.takes is None and self.piece.recording.enabled:
            return self.piece.takes_folder()
        return self.opts.takes

    def _recorder(self) -> TakeRecorder | None:
        folder = self.takes_folder()
        if folder is None:
            return None
        tb = self.piece.timebase
        rec = TakeRecorder(folder, self.piece.title, tb.bpm, f"{tb.beats_per_bar}/{tb.beat_unit}")
        rec.start()
        return rec

    def start_engine(self, runner: ProcessRunner) -> Rig:
        """Engine, take, clock thread, watcher; the clock restarts so the piece begins at t = 0."""
        opened = self.opened
        opened.recorder = self._recorder()
        self.clock.restart()
        self.started.set()  # after the restart: no input is ever stamped on the old clock
        engine = Engine(self.piece, self.clock, runner, seed=self.opts.seed, recorder=opened.recorder)
        opened.engine = engine
        assert opened.output is not None  # open_ports came first
        opened.sender = Sender(
            EngineOutput(engine), opened.output, self.clock,
            on_sent=lambda msg, deadline, at: self.feedback.sent(msg, at), realtime=self.opts.realtime,
        )  # fmt: skip
        opened.sender.start()  # after the worker: a FIFO clock thread must not be inherited by it
        if self.piece.path is not None:
            shared_parser().start()  # now: the first save need not wait for the parser process
            opened.watcher = PieceWatcher(
                self.piece.path, _load, lambda r: self.inbox.put((0.0, "reload", r))
            )
            opened.watcher.start()
        early = next(self._early)
        if early:
            log.info("ignored %d MIDI messages that came in before the performance started", early)
        return opened.rig()

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
            if self.display is not None:
                _quietly(self.display.stop)  # first: the summary lines go to the plain console
            finish(self.opened, self.clock.now(), self.piece.routing.ai_channel, self.feedback)
            _quietly(self.link.stop)
            signals.restore()

    def _perform(self) -> int:
        try:
            folder = self.takes_folder()
            if folder is not None:
                prepare_takes_folder(folder)  # before anything opens or loads
            self.open_ports()
            for line in self.link.start():  # before the model loads: a port in use is said at once
                _say(line)
        except (TakesFolderError, midi_ports.PortError, StageError) as exc:
            _say(f"error: {exc}")
            return EXIT_SETUP
        self._start_display()  # "loading <model> …" while the worker loads it (seconds)
        try:
            runner = self.start_model() if not self.stopping.is_set() else None
        except ModelError as exc:
            log.error("%s", exc)
            return EXIT_MODEL
        if runner is None:
            log.info("stopped before the performance began")
            return EXIT_OK
        return self._play(self.start_engine(runner))

    def _play(self, rig: Rig) -> int:
        """The engine loop on `rig`, with the stage display if asked for."""
        self.phase = "playing"
        summary_log.info("performance started: %s (Ctrl-C ends it: every note is closed, the take saved)",
                         self.piece.title)  # fmt: skip
        options = LoopOptions(self.piece.title, self.opts.duration, self._watched(), self.opts.virtual)
        loop = EngineLoop(rig, self.inbox, self.clock, self.feedback, options, self.link)
        if self.display is not None:
            self.display.follow(lambda: loop.stage.info)
        return loop.run()

    def _start_display(self) -> None:
        """The stage display, if asked for; it shows the loading model until the loop takes over."""
        if self.opts.display:
            model = model_label(self.piece.model)
            self.display = StageDisplay(lambda: loading(self.piece.title, model, self.opened.runner))
            self.display.start()

    def request_stop(self, why: str) -> None:
        """Ask the engine thread to end the performance. Thread-safe and signal-safe."""
        if not self.stopping.is_set():
            self.inbox.put((0.0, "stop", why))
        self.stopping.set()


def _load(path: Path) -> Piece:
    """What the reload watcher parses with: the parser process (`conductor.piece.parser`), so that no
    edit, however hostile, takes this process's memory or GIL from the clock thread."""
    return shared_parser().load(path)


def _say(text: str) -> None:
    """Print for the performer; a terminal that has gone (SIGHUP) is not an error."""
    try:
        print(text, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        log.error("%s", text)


def _quietly(func: Callable[[], object]) -> None:
    try:
        func()
    except Exception as exc:
        log.warning("while stopping: %s", exc)
