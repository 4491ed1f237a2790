"""`TakeSink`: what the engine tells a recorder. `conductor.live.recorder.TakeRecorder` is one.

Kinds passed to `note()` by the engine: `generation_end` (generation, section, arrived, scheduled,
dropped_late, dropped_filtered, latency), `error` (generation, message), `reload` (title, section),
`param` (name, value), `stop`.
"""

from __future__ import annotations

from typing import Any, Protocol

import mido


class TakeSink(Protocol):
    """Receives everything that happens. Calls come from the engine thread, except `ai` (the thread
    that drains the scheduler); an implementation used live must be thread-safe."""

    def human(self, msg: mido.Message, t: float) -> None:
        """A message the human played."""

    def ai(self, msg: mido.Message, t: float) -> None:
        """A message the AI sent (at its scheduled logical time)."""

    def section(self, name: str, t: float, **info: Any) -> None:
        """The performance entered section `name` at `t`."""

    def press(self, action: str, t: float, target: str | None = None) -> None:
        """An action fired (footswitch, CC or command)."""

    def generation(self, generation: int, t: float, **params: Any) -> None:
        """A generation started, with the parameters that shaped it."""

    def note(self, kind: str, t: float, **info: Any) -> None:
        """Anything else (see the module docstring for the kinds the engine sends)."""


class NullSink:
    """A `TakeSink` that keeps nothing."""

    def human(self, msg: mido.Message, t: float) -> None:
        pass

    def ai(self, msg: mido.Message, t: float) -> None:
        pass

    def section(self, name: str, t: float, **info: Any) -> None:
        pass

    def press(self, action: str, t: float, target: str | None = None) -> None:
        pass

    def generation(self, generation: int, t: float, **params: Any) -> None:
        pass

    def note(self, kind: str, t: float, **info: Any) -> None:
        pass
