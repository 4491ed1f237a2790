"""The parts of a live performance, typed: what start-up has opened so far, and the set the loop runs on.

`Opened` collects each part as soon as it is open (ports, port lister, model worker, take recorder,
engine, clock thread, piece watcher), so that the end (`conductor.live.finish`) closes every part
that exists, however far start-up got. `Rig` is the frozen, complete set the engine loop is handed
once the performance plays. Both are written and read by the main thread only; the parts themselves
say which of their methods other threads may call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from conductor.engine.engine import Engine
from conductor.live.port_watch import PortLister
from conductor.live.ports import OutputPort
from conductor.live.process_runner import ProcessRunner
from conductor.live.recorder import TakeRecorder
from conductor.live.reload import PieceWatcher
from conductor.live.sender import Sender


class InputPort(Protocol):
    """An open MIDI input (`conductor.live.ports.PolledInput`)."""

    name: str

    def close(self) -> None:
        """Stop reading and close the port."""


@dataclass(frozen=True, slots=True)
class Rig:
    """Everything the engine loop runs on: the engine, its clock thread, the model worker, the take
    (None: not recording) and the port lister that watches the ports' health."""

    engine: Engine
    sender: Sender
    runner: ProcessRunner
    recorder: TakeRecorder | None
    lister: PortLister


@dataclass
class Opened:
    """What a performance has opened so far (None: not yet, or never)."""

    output: OutputPort | None = None
    input: InputPort | None = None
    footswitch: InputPort | None = None
    clock: InputPort | None = None
    lister: PortLister | None = None
    runner: ProcessRunner | None = None
    recorder: TakeRecorder | None = None
    engine: Engine | None = None
    sender: Sender | None = None
    watcher: PieceWatcher | None = None

    def ports(self) -> list[tuple[str, OutputPort | InputPort]]:
        """The open ports by role, output first."""
        roles = (
            ("output", self.output), ("input", self.input),
            ("footswitch", self.footswitch), ("clock", self.clock),
        )  # fmt: skip
        return [(role, port) for role, port in roles if port is not None]

    def rig(self) -> Rig:
        """The rig, once the engine, the clock thread, the worker and the lister are all there."""
        engine, sender, runner, lister = self.engine, self.sender, self.runner, self.lister
        if engine is None or sender is None or runner is None or lister is None:
            raise ValueError("the performance has not started: no rig yet")
        return Rig(engine, sender, runner, self.recorder, lister)
