"""`TakeSink`: what the engine tells a recorder. `conductor.live.recorder.TakeRecorder` (live, to
files) and `conductor.rehearse.take.Take` (rehearsal, in memory) are the two.

MIDI messages go through `human` and `ai`; everything else is a typed event
(`conductor.engine.take_events`) given to `record`. The engine records `SectionStarted`, `Pressed`,
`ParamSet`, `GenerationStarted`, `GenerationEnded`, `ModelFailed`, `ReloadApplied` and `Stopped`.
"""

from __future__ import annotations

from typing import Protocol

import mido

from conductor.engine.take_events import TakeEvent


class TakeSink(Protocol):
    """Receives everything that happens. Calls come from the engine thread, except `ai` (the thread
    that drains the scheduler); an implementation used live must be thread-safe, must not block and
    must not raise."""

    def human(self, msg: mido.Message, t: float) -> None:
        """A message the human played."""

    def ai(self, msg: mido.Message, t: float) -> None:
        """A message the AI sent (at its scheduled logical time)."""

    def record(self, event: TakeEvent, t: float) -> None:
        """Anything else that happened at `t` (a section, a press, a generation, an error, ...)."""


class NullSink:
    """A `TakeSink` that keeps nothing."""

    def human(self, msg: mido.Message, t: float) -> None:
        pass

    def ai(self, msg: mido.Message, t: float) -> None:
        pass

    def record(self, event: TakeEvent, t: float) -> None:
        pass
