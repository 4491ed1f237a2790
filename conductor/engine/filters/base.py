"""What every filter stage shares: the per-generation `FilterContext` and the `Stage` protocol.

A stage is a small streaming object: `push(note)` returns the notes it can release now (final:
never changed or taken back later), `flush()` returns the rest at the end of a generation. Stages
are built fresh for each generation from the compiled filter specs and the context, so all their
state is per generation; the filtering they implement is a pure function of (specs, notes, context).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Protocol

from conductor.backends.base import GenerationRequest
from conductor.core.beats import BeatGrid
from conductor.core.events import Note
from conductor.core.keys import Key
from conductor.core.timebase import Timebase

EPS = 1e-9  # times this close count as equal (float noise from bar arithmetic)


@dataclass(frozen=True, slots=True)
class FilterContext:
    """Everything a generation's filters may look at besides the notes themselves.

        `[start, until]` is the output window (notes starting outside it are dropped); `window` is the
        listening window (a key filter without a fixed key detects the key from it unless `key` is
        given); `human_density` is the human's notes per second (density complement); `seed` makes the
        density filter's random choices reproducible; `clip` (trading turns) also cuts every note off
        at `until`, so nothing rings into the human's turn. `beats`: the grid the human is heard playing,
    with the section's feel (`conductor.engine.filters.feel`).
    """

    start: float
    until: float
    window: tuple[Note, ...] = ()
    timebase: Timebase = field(default_factory=Timebase)
    human_density: float = 0.0
    seed: int = 0
    key: Key | None = None
    clip: bool = False
    beats: BeatGrid | None = None  # the human's tracked grid the notes go on last (None: stay put)

    @classmethod
    def from_request(
        cls,
        request: GenerationRequest,
        seed: int,
        key: Key | None = None,
        clip: bool = False,
        beats: BeatGrid | None = None,
    ) -> FilterContext:
        """The context for filtering the answer to `request`."""
        return cls(
            start=request.start,
            until=request.until,
            window=request.context,
            timebase=request.timebase,
            human_density=request.human_density,
            seed=seed,
            key=key,
            clip=clip,
            beats=beats,
        )


class Stage(Protocol):
    """One streaming filter. Not thread-safe; realtime-safe (O(1) or O(cluster) per note)."""

    def push(self, note: Note) -> list[Note]:
        """Take the next note (non-decreasing onsets); return the notes that are final now."""
        ...

    def flush(self) -> list[Note]:
        """The end of the input: return everything still held."""
        ...


class MapStage:
    """A stage that decides each note on its own, at once: subclasses implement `apply`."""

    def apply(self, note: Note) -> Note | None:
        """The note transformed, or None to drop it."""
        raise NotImplementedError

    def push(self, note: Note) -> list[Note]:
        out = self.apply(note)
        return [] if out is None else [out]

    def flush(self) -> list[Note]:
        return []


def order(note: Note) -> tuple[float, int, int, float, int]:
    """Sort key of notes everywhere in the filters: onset, channel, pitch (then duration, velocity,
    so that sorting any permutation of the same notes gives one order)."""
    return (note.onset, note.channel, note.pitch, note.duration, note.velocity)


def unit_random(seed: int, note: Note) -> float:
    """A reproducible number in [0, 1) for this note under this seed.

    Derived from a hash of (seed, onset, channel, pitch) rather than a shared RNG stream, so one
    note's fate does not depend on which notes came before it (or were dropped upstream), and the
    same seed gives the same choices in every process.
    """
    text = f"{seed}|{note.onset!r}|{note.channel}|{note.pitch}".encode()
    digest = hashlib.blake2b(text, digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
