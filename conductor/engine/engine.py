"""The engine: MIDI in → tracker → memory → plan → runner → filters → scheduler → MIDI out.

One engine plays one piece on one clock; the same code runs a rehearsal (virtual clock, inline
runner) and a live performance (real clock, worker process). It wires its parts — `Inputs` (mappings
and the human's playing), `Navigator` (which section), `Answering` (when and what the AI answers),
`Turns` (the running generations), `Scheduler` (MIDI out), `Memory` — and holds the performer's
switches (hold, mute). The engine thread calls `on_message`, `press`, `clock_beat`, `clock_lost`,
`step`, `reload`, `stop` and `status` (none of them thread-safe: one caller); the clock thread calls
`drain(t)`, which only touches the thread-safe scheduler and the recorder. The engine never reads the
wall clock and never raises for bad input or a failing model: it logs, closes that model's notes and
keeps playing.
"""

from __future__ import annotations

from dataclasses import replace

import mido

from conductor.core.events import Source
from conductor.engine.answering import Answering
from conductor.engine.clock import Clock
from conductor.engine.controls import Controls
from conductor.engine.generation import SectionStats, Tally
from conductor.engine.inputs import Inputs
from conductor.engine.memory import Memory
from conductor.engine.navigator import Change, Navigator
from conductor.engine.plan import Frame, Heard
from conductor.engine.runner import ModelRunner
from conductor.engine.scheduler import Scheduler
from conductor.engine.sink import NullSink, TakeSink
from conductor.engine.status import EngineStatus, Parts, Switches, build_status
from conductor.engine.take_events import Pressed, ReloadApplied, SectionStarted, Stopped
from conductor.engine.turns import Outlet, Turns
from conductor.piece.compiled import ActionMapping, Piece, Section
from conductor.piece.names import Action, Param


class Engine:
    """Plays `piece` on `clock` with models run by `runner`. See the module docstring for threads."""

    def __init__(
        self, piece: Piece, clock: Clock, runner: ModelRunner, *, seed: int = 0,
        recorder: TakeSink | None = None, lead: float = 0.05, memory: Memory | None = None,
    ) -> None:  # fmt: skip
        self.piece, self.clock, self.runner, self.seed = piece, clock, runner, seed
        self.recorder: TakeSink = recorder or NullSink()
        self.scheduler, self.memory, self.stats = Scheduler(), memory or Memory(), Tally()
        self.stopped = self.hold = self.mute = False
        self._reload: tuple[float, Piece] | None = None
        now = clock.now()
        self.nav = Navigator(piece, now)
        self.turns = Turns(runner, self.scheduler, self.recorder, self.section_stats)
        self.answering = Answering(self.turns, lead)
        self.inputs = Inputs(self.memory, runner, self.recorder, self.answering, self.section_stats)
        self._program(now)
        self._enter(Change(now, self.nav.index, "start"))

    @property
    def section(self) -> Section | None:
        """The section playing now (None once stopped)."""
        return None if self.stopped else self.nav.section

    def section_stats(self) -> SectionStats:
        """The stats of the section playing now ("(end)" once stopped)."""
        return self.stats.of(self.section.name if self.section is not None else "(end)")

    @property
    def controls(self) -> Controls:
        """The state of the piece's action mappings (debounce, a stop awaiting confirmation)."""
        return self.inputs.controls

    # ------------------------------------------------------------ input (engine thread)

    def on_message(self, msg: mido.Message, t: float, port: str = "input") -> None:
        """A MIDI message at `t`: a mapped footswitch/CC action or param, else (input port) human play."""
        human = port != "footswitch" and not self.stopped
        mapping = self.inputs.message(self.piece, self.nav, msg, t, human)
        if mapping is not None:
            self.press(mapping.action, t, mapping.target)

    def press(self, action: Action, t: float, target: str | None = None) -> None:
        """A performer's action at `t`: navigation and regenerate land on the piece's grid; panic,
        hold and mute act at once."""
        self.recorder.record(Pressed(action.value, target), t)
        if action in (Action.NEXT, Action.PREVIOUS, Action.GOTO):
            self.nav.press(action, t, target)
        elif action is Action.REGENERATE:
            self.answering.regenerate(t, self.piece.changes_on)
        elif action is Action.HOLD:
            self.hold = not self.hold
        elif action is Action.MUTE:
            self.mute = not self.mute
            if self.mute:
                self.turns.cancel_all(t)
                self.scheduler.close_all(t)
        elif action is Action.PANIC:
            self.turns.cancel_all(t)
            self.scheduler.panic(t)

    def press_mapping(self, mapping: ActionMapping, t: float) -> None:
        """`mapping` fired at `t` by a control that is not MIDI (the stage page, OSC): debounced and a
        stop confirmed exactly as for a footswitch, then pressed."""
        fired = self.controls.pressed(mapping, t)
        admitted = self.controls.admit(fired, self.nav, self.recorder, t)
        if admitted is not None:
            self.press(admitted.action, t, admitted.target)

    def clock_beat(self, t: float, bpm: float | None) -> None:
        """A beat of the external MIDI clock at `t` (at `bpm`): the tracked grid is that beat and tempo;
        human onsets no longer move it until `clock_lost`."""
        if not self.stopped:
            self.answering.clock(t, bpm)

    def clock_lost(self) -> None:
        """The external clock stopped ticking: keep its last tempo; the human's onsets move it again."""
        self.answering.clock_lost()

    def set_param(self, param: Param, value: float, t: float) -> None:
        """A live parameter set at `t` by a control that is not MIDI (the stage page, an OSC fader)."""
        self.inputs.set_param(param, value, t)

    # ------------------------------------------------------------ the engine's beat

    def step(self, t: float) -> float | None:
        """Do what is due at `t`: reload, section changes, runner events, triggers. Returns the next
        logical time the engine wants to run (None: only on new input); the scheduler's own deadlines
        are not included: whoever drains it watches `next_deadline()`."""
        if self._reload is not None and t >= self._reload[0] - 1e-9 and not self.stopped:
            self._apply_reload(t)
        while not self.stopped and (change := self.nav.poll(t)) is not None:
            self.answering.leave(change.at)
            self._enter(change)
        if self.stopped:
            return None
        self.turns.drain(t, Outlet(self.piece.routing.ai_channel, self.mute))
        played = self.scheduler.take_finished()
        if played:
            self.section_stats().notes_out += len(played)
            self.inputs.remember([n.with_(source=Source.AI) for n in played])
        heard = Heard(self.memory, tuple(self.inputs.tracker.held(t)), t)
        self.answering.answer(Frame.of(self.piece, self.seed), heard, self.inputs.params, self.hold)
        times = [self.nav.next_time(), self.answering.next_time(), self.runner.next_arrival()]
        times += [self._reload[0]] if self._reload is not None else []
        return min((x for x in times if x is not None and x > t + 1e-9), default=None)

    def drain(self, t: float) -> list[tuple[float, mido.Message]]:
        """The AI's messages due by `t` (each with its time), also given to the recorder.
        Thread-safe and realtime-safe if the recorder's `ai()` is: the clock thread calls it."""
        out = self.scheduler.due(t)
        for at, msg in out:
            self.recorder.ai(msg, at)
        return out

    # ------------------------------------------------------------ sections, reload, stop, status

    def _enter(self, change: Change) -> None:
        section = self.nav.section
        if change.index is None or section is None:
            self.stop(change.at)
            return
        self.answering.enter(section, self.piece.timebase, change.at)
        self.section_stats()
        self.recorder.record(SectionStarted(section.name, section.index, section.mode.value), change.at)

    def reload(self, piece: Piece, t: float) -> None:
        """Switch to `piece` at the next grid point of its `changes_on` (the current section kept by name)."""
        self._reload = (piece.timebase.next_boundary(t, piece.changes_on), piece)

    def _apply_reload(self, t: float) -> None:
        """Switch to the reloaded piece. An edit that leaves the section playing now as it was (same
        section, timebase and routing: another section edited, a comment, the title) lets the running
        answer play on, and the program change is sent again only if the routing changed: cutting
        the answer silenced the AI until its next cadence (2.5 s seen in a rehearsal)."""
        at, piece = self._reload or (t, self.piece)
        self._reload = None
        before, old = self.nav.section, self.piece
        self.piece = piece
        self.nav.reload(piece)
        section = self.nav.section
        if section is None:
            self.stop(at)
            return
        if piece.routing != old.routing:
            self._program(at)
        if not plays_the_same(before, section, old, piece):
            self.turns.cancel_all(at, close=True)
            self.answering.enter(section, piece.timebase, self.nav.started_at, resume_at=at)
        self.recorder.record(ReloadApplied(piece.title, section.name), at)

    def stop(self, t: float) -> None:
        """End the performance at `t`: cancel every generation, close every note, flush held input."""
        if self.stopped:
            return
        self.turns.cancel_all(t, close=True)
        self.scheduler.close_all(t)
        self.inputs.remember(self.inputs.tracker.flush(t))
        self.stopped = True
        self.recorder.record(Stopped(), t)

    def _program(self, t: float) -> None:
        routing = self.piece.routing
        if routing.program is not None:
            msg = mido.Message("program_change", channel=routing.ai_channel, program=routing.program)
            self.scheduler.add_message(msg, t)

    def status(self) -> EngineStatus:
        """A snapshot for the performer's screen (engine thread)."""
        parts = Parts(self.nav, self.turns, self.scheduler, self.memory, self.piece.timebase)
        switches = Switches(self.stopped, self.mute, self.hold)
        return build_status(self.clock.now(), self.section, switches, parts, self.stats.values())


def plays_the_same(before: Section | None, after: Section, old: Piece, new: Piece) -> bool:
    """Whether a reload leaves what plays now as it was: the same section (its line in the file
    aside), timebase and routing."""
    if before is None or old.timebase != new.timebase or old.routing != new.routing:
        return False
    return replace(before, line=0) == replace(after, line=0)
