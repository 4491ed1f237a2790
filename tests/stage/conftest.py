"""Stage fixtures: a real `StageServer` on a free localhost port, fed from a `ViewBox` of scripted views,
its commands recorded."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from conductor.stage.server import StageServer
from conductor.stage.view import ViewBox
from tests.stage.scripted import RecordingCommands, view_at


@dataclass
class Stage:
    server: StageServer
    box: ViewBox
    commands: RecordingCommands

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


@pytest.fixture
def stage() -> Iterator[Stage]:
    box = ViewBox(view_at(40.0))
    commands = RecordingCommands()
    server = StageServer(box, commands, "127.0.0.1", 0)
    server.start()
    try:
        yield Stage(server, box, commands)
    finally:
        server.stop()
