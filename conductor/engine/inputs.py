"""`Inputs`: MIDI in — the piece's action and param mappings, and the human's playing.

Each message is matched against the action mappings first (a footswitch or pad: debounced, a stop
confirmed; `Controls`), then the param mappings (a pedal or knob sets a `LiveParams` value), and is
otherwise the human's playing: recorded, and notes and CCs fed to the `NoteTracker`, whose finished
notes go to the memory and the models' ears. Notes the AI actually played are remembered the same way.

Not thread-safe: the engine thread owns it.
"""

from __future__ import annotations

from collections.abc import Callable

import mido

from conductor.core.events import Note, Source
from conductor.engine.answering import Answering
from conductor.engine.controls import Controls, param_value
from conductor.engine.generation import SectionStats
from conductor.engine.memory import Memory
from conductor.engine.navigator import Navigator
from conductor.engine.plan import LiveParams
from conductor.engine.runner import ModelRunner
from conductor.engine.sink import TakeSink
from conductor.engine.take_events import ParamSet
from conductor.engine.tracker import NoteTracker
from conductor.piece.compiled import ActionMapping, Piece
from conductor.piece.names import Param

HUMAN_HEARD = frozenset({"note_on", "note_off", "control_change"})  # the tracker and the model's ears
HUMAN_RECORDED = HUMAN_HEARD | {"pitchwheel", "aftertouch", "polytouch", "program_change"}  # the take


class Inputs:
    """What comes in, and where it goes (see the module docstring)."""

    def __init__(
        self,
        memory: Memory,
        runner: ModelRunner,
        recorder: TakeSink,
        answering: Answering,
        stats: Callable[[], SectionStats],
    ) -> None:
        self.memory, self.runner, self.recorder = memory, runner, recorder
        self.answering = answering
        self.stats = stats  # the current section's stats
        self.tracker = NoteTracker(Source.HUMAN)
        self.controls = Controls()
        self.params = LiveParams()

    def message(
        self, piece: Piece, nav: Navigator, msg: mido.Message, t: float, human: bool
    ) -> ActionMapping | None:
        """Take `msg` at `t`; returns the action mapping it fires, if any. Unmapped, it is the human's
        playing only if `human` (the input port of a performance still playing)."""
        fired = self.controls.fire(piece.actions, msg, t)
        if fired.mapping is not None:
            return self.controls.admit(fired, nav, self.recorder, t)
        if (param := param_value(piece.params, msg)) is not None:
            self.set_param(*param, t)
        elif human and not fired.claimed and msg.type in HUMAN_RECORDED:
            self._play(msg, t)
        return None

    def set_param(self, param: Param, value: float, t: float) -> None:
        """A live parameter moved to `value` at `t` (a pedal, a knob, the stage page, an OSC fader)."""
        self.params = self.params.with_(param, value)
        self.recorder.record(ParamSet(param, value), t)

    def _play(self, msg: mido.Message, t: float) -> None:
        self.recorder.human(msg, t)
        if msg.type not in HUMAN_HEARD:
            return  # expression and program changes: in the take, not for the model
        if msg.type == "note_on" and msg.velocity > 0:
            self.answering.heard()
            self.answering.onset(t)
            self.stats().notes_in += 1
        done = self.tracker.feed(msg, t)
        self.remember(done)
        for note in done:
            self.answering.heard(note.end)

    def remember(self, notes: list[Note]) -> None:
        """Notes that were played (the human's, or the AI's as sent): into the memory and the models."""
        self.memory.extend(notes)
        if notes:
            self.runner.observe(notes)
