"""Take events: everything a take records besides MIDI messages, one frozen dataclass per kind.

MIDI messages go only through `TakeSink.human` / `ai` (and the live recorder's `footswitch`); every
other fact goes through `TakeSink.record(event, t)`. Each class names its `.jsonl` kind once, in
`kind`; its fields, in order, are the line's fields after `t` and `kind`:

    {"t": 12.5, "kind": "generation_end", "generation": 3, "section": "solo", "arrived": 16, ...}

Field values are JSON-ready (str, int, float, bool, None). Engine and live code both import this
module; it imports nothing of either.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

JsonValue = str | int | float | bool | None  # what a take event's field holds


@dataclass(frozen=True, slots=True)
class TakeEvent:
    """The base of every take event; `kind` names the `.jsonl` line."""

    kind: ClassVar[str] = "event"

    def fields(self) -> dict[str, JsonValue]:
        """The line's fields after `t` and `kind`, in declaration order."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True, slots=True)
class TakeStarted(TakeEvent):
    """The first line of a live take: what it is and when it began (wall clock, ISO 8601)."""

    kind: ClassVar[str] = "take"
    title: str
    bpm: float
    meter: str
    started: str


@dataclass(frozen=True, slots=True)
class SectionStarted(TakeEvent):
    """The performance entered section `name` (also a marker in the take's MIDI file)."""

    kind: ClassVar[str] = "section"
    name: str
    index: int
    mode: str


@dataclass(frozen=True, slots=True)
class Pressed(TakeEvent):
    """An action fired (footswitch, CC, key or command)."""

    kind: ClassVar[str] = "press"
    action: str
    target: str | None = None


@dataclass(frozen=True, slots=True)
class PressIgnored(TakeEvent):
    """A control fired but no action followed: `why` is `debounce` (a bounce, the first of a burst;
    `after_ms` since the previous firing) or `confirm_stop` (a `next` that would end the piece,
    waiting for its confirming press)."""

    kind: ClassVar[str] = "press_ignored"
    action: str
    why: str
    after_ms: float | None = None


@dataclass(frozen=True, slots=True)
class ParamSet(TakeEvent):
    """A live parameter moved (a mapped CC)."""

    kind: ClassVar[str] = "param"
    name: str
    value: float


@dataclass(frozen=True, slots=True)
class GenerationStarted(TakeEvent):
    """A generation started, with every parameter that shaped it."""

    kind: ClassVar[str] = "generation"
    generation: int
    section: str
    reason: str
    start: float
    until: float
    temperature: float
    top_p: float
    top_k: int
    seed: int | None
    key: str | None
    context: int
    events: int


@dataclass(frozen=True, slots=True)
class GenerationEnded(TakeEvent):
    """A generation finished or was cancelled: what it produced; `latency` to its first note (s)."""

    kind: ClassVar[str] = "generation_end"
    generation: int
    section: str
    arrived: int
    scheduled: int
    dropped_late: int
    latency: float | None


@dataclass(frozen=True, slots=True)
class ModelFailed(TakeEvent):
    """A generation failed (the model, the worker or a filter); its notes were closed."""

    kind: ClassVar[str] = "model_error"
    generation: int
    section: str
    error: str


@dataclass(frozen=True, slots=True)
class EngineFault(TakeEvent):
    """The engine raised while handling input or a step; the performance went on."""

    kind: ClassVar[str] = "engine_error"
    error: str
    repeats: int = 0  # the same error held back (not logged) since it was last recorded


@dataclass(frozen=True, slots=True)
class ReloadApplied(TakeEvent):
    """The engine switched to an edited piece (at a grid point), keeping `section` by name."""

    kind: ClassVar[str] = "reload"
    title: str
    section: str


@dataclass(frozen=True, slots=True)
class ReloadAccepted(TakeEvent):
    """A saved edit was valid; `delay_ms` from the save settling to the engine taking it."""

    kind: ClassVar[str] = "reload_accepted"
    title: str
    delay_ms: float


@dataclass(frozen=True, slots=True)
class ReloadRejected(TakeEvent):
    """A saved edit was invalid; the last good piece goes on. `error` as the musician saw it."""

    kind: ClassVar[str] = "reload_rejected"
    error: str


@dataclass(frozen=True, slots=True)
class WorkerRestarted(TakeEvent):
    """The model worker died or hung and is being restarted (the AI is silent meanwhile)."""

    kind: ClassVar[str] = "worker_restart"
    restarts: int
    reason: str


@dataclass(frozen=True, slots=True)
class Stopped(TakeEvent):
    """The performance ended (piece end, stop request, port loss)."""

    kind: ClassVar[str] = "stop"


@dataclass(frozen=True, slots=True)
class NotesLate(TakeEvent):
    """Notes went out more than 10 ms late (one event per warning line): how many, the worst, which."""

    kind: ClassVar[str] = "late"
    count: int
    worst_ms: float
    example: str


@dataclass(frozen=True, slots=True)
class LatenessReport(TakeEvent):
    """Lateness over the whole performance (milliseconds), the last line of a live take.

    `count`, `p50_ms`, `p99_ms`, `max_ms`: as heard — send time − the note's intended time, whatever
    made it late. `scheduled_late`: messages already late when the clock thread first saw them;
    `late_notes`: sent more than 10 ms late; `dropped_late`: dropped by the engine, arrived after
    their onset. `clock_*`: the clock thread's own lateness, from when it could first send.
    """

    kind: ClassVar[str] = "lateness"
    count: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    scheduled_late: int = 0
    late_notes: int = 0
    dropped_late: int = 0
    clock_p50_ms: float = 0.0
    clock_p99_ms: float = 0.0
    clock_max_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class TakeTrouble(TakeEvent):
    """The recorder's own account at the end: `failed` events could not be written (the first reason)."""

    kind: ClassVar[str] = "take_errors"
    failed: int
    first: str
