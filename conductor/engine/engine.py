"""The engine: MIDI in → tracker → memory → context → runner → filters → scheduler → MIDI out.

One engine plays one piece on one clock; the same code runs a rehearsal (virtual clock, inline
runner) and a live performance (real clock, worker process). The engine thread calls `on_message`,
`press`, `step`, `reload` and `stop` (none of them thread-safe: one caller); the clock thread calls
`drain(t)`, which only touches the thread-safe scheduler and the recorder. The engine never reads
the wall clock and never raises for bad input or a failing model: it logs, closes that model's
notes and keeps playing.
"""

from __future__ import annotations

import logging

import mido

from conductor.core.events import Note, Source
from conductor.engine.clock import Clock
from conductor.engine.engine_status import EngineStatus, build_status
from conductor.engine.generation import Controls, SectionStats, param_value
from conductor.engine.memory import Memory
from conductor.engine.navigator import Change, Navigator
from conductor.engine.runner import ModelRunner
from conductor.engine.scheduler import Scheduler
from conductor.engine.sink import NullSink, TakeSink
from conductor.engine.take_events import ParamSet, Pressed, ReloadApplied, SectionStarted, Stopped
from conductor.engine.tracker import NoteTracker
from conductor.engine.turns import Turns
from conductor.piece.compiled import Piece, Section
from conductor.piece.names import Action

log = logging.getLogger(__name__)
HUMAN_HEARD = frozenset({"note_on", "note_off", "control_change"})  # the tracker and the model's ears
HUMAN_RECORDED = HUMAN_HEARD | {"pitchwheel", "aftertouch", "polytouch", "program_change"}  # the take


class Engine:
    """Plays `piece` on `clock` with models run by `runner`. See the module docstring for threads."""

    def __init__(
        self,
        piece: Piece,
        clock: Clock,
        runner: ModelRunner,
        *,
        seed: int = 0,
        recorder: TakeSink | None = None,
        lead: float = 0.05,
        memory: Memory | None = None,
    ) -> None:
        self.piece = piece
        self.clock = clock
        self.runner = runner
        self.seed = seed
        self.recorder: TakeSink = recorder or NullSink()
        self.scheduler = Scheduler()
        self.memory = memory or Memory()
        self.tracker = NoteTracker(Source.HUMAN)
        self.stats: dict[str, SectionStats] = {}
        self.stopped = False
        self.hold = False
        self.mute = False
        self.params: dict[str, float] = {}
        self.controls = Controls()
        self._reload: tuple[float, Piece] | None = None
        now = clock.now()
        self.nav = Navigator(piece, now)
        self.turns = Turns(self, lead)
        self._program(now)
        self._entered(Change(now, self.nav.index, "start"))

    # ------------------------------------------------------------ input (engine thread)

    def on_message(self, msg: mido.Message, t: float, port: str = "input") -> None:
        """A MIDI message at `t`: a mapped footswitch/CC action or param, else (input port) human play."""
        fired = self.controls.fire(self.piece.actions, msg, t)
        if fired.mapping is not None:
            mapping = self.controls.admit(fired, self.nav, self.recorder, t)
            if mapping is not None:
                self.press(mapping.action, t, mapping.target)
            return
        param = param_value(self.piece.params, msg)
        if param is not None:
            self.params[param[0]] = param[1]
            self.recorder.record(ParamSet(param[0], param[1]), t)
            return
        if fired.claimed or port == "footswitch" or self.stopped:
            return
        self._human(msg, t)

    def _human(self, msg: mido.Message, t: float) -> None:
        if msg.type not in HUMAN_RECORDED:
            return
        self.recorder.human(msg, t)
        if msg.type not in HUMAN_HEARD:
            return  # expression and program changes: in the take, not for the model
        if msg.type == "note_on" and msg.velocity > 0:
            self.turns.heard()
            self._section_stats().notes_in += 1
        done = self.tracker.feed(msg, t)
        self._remember(done)
        for note in done:
            self.turns.heard(note.end)

    def _remember(self, notes: list[Note]) -> None:
        for note in notes:
            self.memory.add(note)
        if notes:
            self.runner.observe(notes)

    def press(self, action: Action, t: float, target: str | None = None) -> None:
        """A performer's action at `t`: navigation and regenerate land on the piece's grid; panic,
        hold and mute act at once."""
        self.recorder.record(Pressed(action.value, target), t)
        if action in (Action.NEXT, Action.PREVIOUS, Action.GOTO):
            self.nav.press(action, t, target)
        elif action is Action.PANIC:
            self.turns.cancel_all(t)
            self.scheduler.panic(t)
        elif action is Action.HOLD:
            self.hold = not self.hold
        elif action is Action.MUTE:
            self.mute = not self.mute
            if self.mute:
                self.turns.cancel_all(t)
                self.scheduler.close_all(t)
        elif action is Action.REGENERATE:
            self.turns.regenerate(t)

    # ------------------------------------------------------------ the engine's beat

    def step(self, t: float) -> float | None:
        """Do what is due at `t`: reload, section changes, runner events, triggers.

        Returns the next logical time the engine wants to run (None: only on new input). The
        scheduler's own deadlines are not included: whoever drains it watches `next_deadline()`.
        """
        if self.stopped:
            return None
        if self._reload is not None and t >= self._reload[0] - 1e-9:
            self._apply_reload(t)
        while not self.stopped and (change := self.nav.poll(t)) is not None:
            self._change(change)
        if self.stopped:
            return None
        self.turns.drain_runner(t)
        self._collect_played()
        self.turns.maybe_trigger(t)
        return self._next_wake(t)

    def _next_wake(self, t: float) -> float | None:
        times = [self.nav.next_time(), self.turns.next_time(), self.runner.next_arrival()]
        if self._reload is not None:
            times.append(self._reload[0])
        future = [x for x in times if x is not None and x > t + 1e-9]
        return min(future, default=None)

    def _collect_played(self) -> None:
        played = self.scheduler.take_finished()
        if played:
            self._section_stats().notes_out += len(played)
            self._remember([n.with_(source=Source.AI) for n in played])

    def drain(self, t: float) -> list[tuple[float, mido.Message]]:
        """The AI's messages due by `t` (each with its time), also given to the recorder.

        Thread-safe and realtime-safe if the recorder's `ai()` is: the clock thread calls it.
        """
        out = self.scheduler.due(t)
        for at, msg in out:
            self.recorder.ai(msg, at)
        return out

    # ------------------------------------------------------------ sections

    def _change(self, change: Change) -> None:
        self.turns.leave(change.at)
        if change.index is None:
            self.stop(change.at)
            return
        self._entered(change)

    def _entered(self, change: Change) -> None:
        section = self.nav.section
        if section is None:
            self.stop(change.at)
            return
        self.turns.enter(section, change.at)
        self._section_stats()
        self.recorder.record(SectionStarted(section.name, section.index, section.mode.value), change.at)

    def _section_stats(self) -> SectionStats:
        name = self.section.name if self.section is not None else "(end)"
        if name not in self.stats:
            self.stats[name] = SectionStats(name)
        return self.stats[name]

    @property
    def section(self) -> Section | None:
        """The section playing now (None once stopped)."""
        return None if self.stopped else self.nav.section

    # ------------------------------------------------------------ reload, stop, status

    def reload(self, piece: Piece, t: float) -> None:
        """Switch to `piece` at the next grid point of its `changes_on` (the current section kept by name)."""
        self._reload = (piece.timebase.next_boundary(t, piece.changes_on), piece)

    def _apply_reload(self, t: float) -> None:
        at, piece = self._reload or (t, self.piece)
        self._reload = None
        self.turns.cancel_all(at, close=True)
        self.piece = piece
        self.nav.reload(piece)
        self._program(at)
        section = self.nav.section
        if section is None:
            self.stop(at)
            return
        self.turns.enter(section, self.nav.started_at, resume_at=at)
        self.recorder.record(ReloadApplied(piece.title, section.name), at)

    def stop(self, t: float) -> None:
        """End the performance at `t`: cancel every generation, close every note, flush held input."""
        if self.stopped:
            return
        self.turns.cancel_all(t, close=True)
        self.scheduler.close_all(t)
        self._remember(self.tracker.flush(t))
        self.stopped = True
        self.recorder.record(Stopped(), t)

    def _program(self, t: float) -> None:
        routing = self.piece.routing
        if routing.program is not None:
            msg = mido.Message("program_change", channel=routing.ai_channel, program=routing.program)
            self.scheduler.add_message(msg, t)

    def status(self) -> EngineStatus:
        """A snapshot for the performer's screen (engine thread)."""
        return build_status(self, self.clock.now())
