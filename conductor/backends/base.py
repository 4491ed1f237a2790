"""The streaming model interface every backend implements.

The engine builds a `GenerationRequest` from the section's listening window and settings; a backend
streams `Note`s back as they are decoded, on the same logical clock as the context. The caller cancels
a generation between events by closing the iterator (`gen.close()`), so a backend must do no work
after a `yield` that it cannot abandon.

Constraints are data (after Notochord's EventConstraints): a backend applies them while sampling, so
filters rarely have to throw notes away. Filters still run afterwards — backends are not trusted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from conductor.core.errors import ConductorError
from conductor.core.events import Note
from conductor.core.keys import Key
from conductor.core.timebase import Timebase
from conductor.piece.compiled import MarkovSpec, SamplingSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Constraints:
    """What the model may play: checked at sampling time."""

    channels: frozenset[int] = frozenset({0})
    program: int | None = None
    low: int = 0
    high: int = 127
    pitch_classes: frozenset[int] | None = None  # None: any (a key gives its seven pitch classes)
    # decode-time roles (`conductor.backends.shaping`): onset groups, a line, a note budget, harmony
    group_min: int = 1  # a group of notes struck together holds at least this many (ai_chords)
    group_max: int = 8  # ... and at most this many
    monophonic: bool = False  # one line: no onset while the last note sounds (ai_solo)
    spacing: int = 0  # 0: any voicing; n: a group's notes lowest first, at least n semitones apart
    max_per_second: float | None = None  # a note budget (the density filter's cap)
    chord_tones: frozenset[int] | None = None  # comping: only these pitch classes (within the key)
    paced: bool = False  # spread the event budget over the output span (comping)
    max_run: int | None = None  # a line repeats one pitch at most this many notes in a row

    def classes(self) -> frozenset[int] | None:
        """The pitch classes allowed (None: any): the chord tones where set, else the key's."""
        return self.chord_tones if self.chord_tones is not None else self.pitch_classes

    def allows(self, pitch: int, channel: int) -> bool:
        """True if a note of this pitch on this channel meets every constraint."""
        if channel not in self.channels or not self.low <= pitch <= self.high:
            return False
        classes = self.classes()
        return classes is None or pitch % 12 in classes


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """One generation: the context and every setting that shapes the answer.

    Times are seconds on the engine's logical clock. `origin` is the clock time that maps to tick 0
    when the context is converted to a score (bar-aligned at or before the first context note), so the
    model's output times map back onto the clock. Output notes must start in [start, until].
    """

    context: tuple[Note, ...]  # the listening window, sorted by onset (human and AI, one timebase)
    origin: float
    start: float  # the trigger time: no output note may start before it
    until: float  # no output note may start after it (trigger + horizon, or the end of an AI turn)
    timebase: Timebase
    max_events: int
    sampling: SamplingSpec = field(default_factory=SamplingSpec)
    constraints: Constraints = field(default_factory=Constraints)
    markov: MarkovSpec = field(default_factory=MarkovSpec)
    human_density: float = 0.0  # the human's notes per second over the window (for complementing)
    generation: int = 0  # the engine's id for this generation (for logs and seeds)
    role: str | None = None  # the section's mode (ai_chords, ai_solo, trading, duet): a role model plays it
    key: Key | None = None  # the human's key (the section's fixed one, else the tracked one); not a mask
    answer: str = "free"  # how the answer uses `turn`: develop | sequence | contrast | free (see answers.py)
    turn: tuple[Note, ...] = ()  # the human's turn / phrase just heard, the material of the answer


@runtime_checkable
class Model(Protocol):
    """A streaming MIDI model. Not thread-safe: one caller at a time (live: the worker process)."""

    def observe(self, notes: Sequence[Note]) -> None:
        """Hear notes as they are played (learn online, or prefill a cache). Must be cheap."""

    def generate(self, request: GenerationRequest) -> Iterator[Note]:
        """Stream notes as they are decoded, in non-decreasing onset order; close() to cancel."""
        ...

    def close(self) -> None:
        """Release resources (caches, files)."""


def background_work(model: Model, pause: Callable[[], bool]) -> bool:
    """Run the model's background work, if it has any, until done or `pause()` is true; True while
    some remains. Optional for a `Model`: `work(pause) -> bool` (the SkyTNT backend prepares its next
    context there, off the critical path); callers run it when no request waits."""
    work = getattr(model, "work", None)
    return bool(work(pause)) if callable(work) else False


def background_all(models: Iterable[Model], pause: Callable[[], bool]) -> bool:
    """One round of every model's `background_work`, each stopped when `pause()` is true; True while
    some remains. A model whose work fails is logged and counted as done (never a busy loop)."""
    more = False
    for model in models:
        try:
            more = background_work(model, pause) or more
        except Exception as exc:
            log.warning("model failed in its background work: %s: %s", type(exc).__name__, exc)
    return more


def observe_until(model: Model, notes: Sequence[Note], pause: Callable[[], bool]) -> None:
    """`model.observe(notes)`, its work stopping as soon as `pause()` is true where the model can stop
    (`pausable`: the SkyTNT backend leaves the rest of its prefill to the request that waits)."""
    if getattr(model, "pausable", False):
        model.observe(notes, pause)  # type: ignore[call-arg]
    else:
        model.observe(notes)


class ModelError(ConductorError, RuntimeError):
    """Raised by backends for a model that cannot be built or loaded (bad checkpoint, bad config), and by
    the live `ProcessRunner` when its worker cannot load the model."""
