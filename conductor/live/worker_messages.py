"""The messages between the engine's `ProcessRunner` and the model worker (`worker.py`): small frozen
dataclasses on two `multiprocessing.Queue`s."""

from __future__ import annotations

from dataclasses import dataclass
from multiprocessing.queues import Queue
from typing import TYPE_CHECKING

from conductor.backends.base import GenerationRequest
from conductor.core.events import Note
from conductor.piece.compiled import ModelSpec


@dataclass(frozen=True, slots=True)
class Observe:
    """Let every model hear `notes` (applied between generations)."""

    notes: tuple[Note, ...]


@dataclass(frozen=True, slots=True)
class Generate:
    """Run `request` with the model for `spec` (None: the piece's)."""

    request: GenerationRequest
    spec: ModelSpec | None


@dataclass(frozen=True, slots=True)
class Cancel:
    """Stop (or unqueue) generation `generation`."""

    generation: int


@dataclass(frozen=True, slots=True)
class Stop:
    """End the worker."""


@dataclass(frozen=True, slots=True)
class Ready:
    """The model is loaded; the worker runs as process `pid`."""

    pid: int


@dataclass(frozen=True, slots=True)
class LoadFailed:
    """The model could not be loaded: `message` says why."""

    message: str


@dataclass(frozen=True, slots=True)
class Decoded:
    """Generation `generation` decoded `note`."""

    generation: int
    note: Note


@dataclass(frozen=True, slots=True)
class Done:
    """Generation `generation` decoded its last note."""

    generation: int


@dataclass(frozen=True, slots=True)
class Failed:
    """Generation `generation` raised: `message` says why."""

    generation: int
    message: str


Request = Observe | Generate | Cancel | Stop
Reply = Ready | LoadFailed | Decoded | Done | Failed
if TYPE_CHECKING:  # multiprocessing's Queue is generic only to the type checker
    Requests = Queue[Request]  # parent → worker
    Replies = Queue[Reply]  # worker → parent
else:
    Requests = Replies = Queue
