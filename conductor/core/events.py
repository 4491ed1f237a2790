"""Notes: the one event type that flows through the pipeline.

Every stage speaks in `Note`s on one timebase: seconds of logical clock time. Human and AI
notes share that timebase (the prototype's feedback mode broke when they did not).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum


class Source(StrEnum):
    """Who played a note."""

    HUMAN = "human"
    AI = "ai"


@dataclass(frozen=True, slots=True)
class Note:
    """A complete note on the logical clock.

    onset and duration are seconds of logical time; pitch and velocity are MIDI numbers
    (velocity is always 1..127: a note-on with velocity 0 is a note-off and never a Note).
    """

    onset: float
    duration: float
    pitch: int
    velocity: int
    channel: int = 0
    source: Source = Source.HUMAN

    def __post_init__(self) -> None:
        if not 0 <= self.pitch <= 127:
            raise ValueError(f"pitch must be in range 0..127, got {self.pitch}")
        if not 1 <= self.velocity <= 127:
            raise ValueError(f"velocity must be in range 1..127, got {self.velocity}")
        if not 0 <= self.channel <= 15:
            raise ValueError(f"channel must be in range 0..15, got {self.channel}")
        if self.duration < 0:
            raise ValueError(f"duration must be >= 0, got {self.duration}")

    @property
    def end(self) -> float:
        """Time of the note-off."""
        return self.onset + self.duration

    def shifted(self, seconds: float) -> Note:
        """The same note moved in time."""
        return replace(self, onset=self.onset + seconds)

    def with_(self, **changes: object) -> Note:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def note_order(note: Note) -> tuple[float, int, int]:
    """The order notes are kept in everywhere (memory, context, scores): onset, channel, pitch."""
    return (note.onset, note.channel, note.pitch)


def sort_notes(notes: Iterable[Note]) -> list[Note]:
    """Notes by onset, then channel, then pitch."""
    return sorted(notes, key=note_order)
