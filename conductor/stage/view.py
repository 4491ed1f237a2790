"""The stage's interface: what the page and OSC show (`StageView`) and what they may ask (`StageCommands`).

The performance builds a `StageView` on its engine thread and puts it into a `ViewBox`; the web server
and the OSC sender read the box on their own threads. Commands come back through a `StageCommands`,
which the performance implements by putting them onto its engine thread's inbox, so a press from the
page or from OSC takes exactly the path a footswitch press takes (same debounce, same quantisation).
Nothing here is ever touched by the clock thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from conductor.core.events import Note
from conductor.piece.names import Action

# What a press may ask (the piece's own action words); `goto` needs a section name as its target.
ACTIONS = tuple(a.value for a in Action)
# The AI's states as `EngineStatus.ai_state` names them; the page colours each.
AI_STATES = ("stopped", "muted", "held", "listening", "thinking", "playing", "waiting")


class NoteRow(NamedTuple):
    """One note on the piano roll: seconds of logical time, MIDI pitch and velocity."""

    onset: float
    duration: float
    pitch: int
    velocity: int


class SectionRow(NamedTuple):
    """One entry of the running order: its name, mode and length as the piece says it ('32 bars')."""

    name: str
    mode: str
    length: str


class ParamRow(NamedTuple):
    """A live parameter the page shows as a slider: its value and the range a control may set."""

    name: str
    value: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class StageView:
    """Everything the page and the OSC sender show, at one moment. Times in seconds of logical time."""

    title: str
    running_order: tuple[SectionRow, ...] = ()
    current: int | None = None  # index into running_order; None before the start and after the end
    section: str = "-"
    next_section: str = "-"
    time_left_s: float | None = None  # None: the section waits for the footswitch
    bars_left: float | None = None
    mode: str = "-"
    key: str = "-"
    ai_state: str = "stopped"  # one of AI_STATES
    tempo: float = 120.0  # beats per minute
    meter: str = "4/4"
    now: float = 0.0
    human: tuple[NoteRow, ...] = ()  # the last bars, as played
    ai: tuple[NoteRow, ...] = ()  # the last bars, as sounded
    plan: tuple[NoteRow, ...] = ()  # AI notes scheduled but not yet sounded (onset after now)
    heard_p99_ms: float | None = None  # lateness as heard
    heard_worst_ms: float | None = None
    late_notes: int = 0  # notes sent more than 10 ms late
    latency_ms: float | None = None  # the last generation's trigger to first note
    reload_error: str = ""  # the whole text of a rejected edit, until the next good save
    params: tuple[ParamRow, ...] = ()
    worker: str = "starting"
    take: str = ""
    notice: str = ""  # e.g. "press next again within 2.5 s to end the piece"

    def param(self, name: str) -> ParamRow | None:
        """The parameter called `name`, if the view has one."""
        return next((p for p in self.params if p.name == name), None)


class StageCommands(Protocol):
    """Where the page's and OSC's commands go. Called from the web server's and the OSC receiver's
    threads: an implementation must be thread-safe and must not block (put onto a queue and return)."""

    def press(self, action: str, target: str | None = None) -> None:
        """As if the control mapped to `action` was pressed (`target`: the section of a goto)."""

    def set_param(self, name: str, value: float) -> None:
        """As if the control mapped to parameter `name` was moved to `value` (within its range)."""


class ViewBox:
    """The latest `StageView` with a version number that grows by one per `set`.

    Thread safety: lock-free. `set` is called by one thread only (the engine thread) and replaces one
    attribute holding a (version, view) tuple — an atomic reference store; `latest` may be called from
    any thread and always sees a consistent pair. Neither blocks.
    """

    def __init__(self, view: StageView) -> None:
        self._latest: tuple[int, StageView] = (0, view)

    def set(self, view: StageView) -> None:
        """Publish `view` (one writer thread only)."""
        self._latest = (self._latest[0] + 1, view)

    def latest(self) -> tuple[int, StageView]:
        """(version, view) of the last `set`."""
        return self._latest


def note_rows(notes: Iterable[Note], since: float, until: float = float("inf")) -> tuple[NoteRow, ...]:
    """Rows for the notes sounding at some time in [since, until), in onset order, times to the ms."""
    rows = [
        NoteRow(round(n.onset, 3), round(n.duration, 3), n.pitch, n.velocity)
        for n in notes
        if n.end >= since and n.onset < until
    ]
    rows.sort()
    return tuple(rows)


class StageError(RuntimeError):
    """A stage part could not start (an address in use, a host that does not resolve, a public bind
    without the opt-in): raised by the `start` methods, its message says what to change."""
