"""Helpers for the Markov backend tests: melodies and requests on a 120 bpm clock."""

from __future__ import annotations

from collections.abc import Sequence

from conductor.backends.base import Constraints, GenerationRequest
from conductor.core.events import Note, Source
from conductor.core.timebase import Timebase
from conductor.piece.compiled import MarkovSpec, SamplingSpec

TB = Timebase(120.0)  # one beat = 0.5 s


def melody(
    pitches: Sequence[int], start: float = 0.0, ioi: float = 0.5, source: Source = Source.HUMAN
) -> list[Note]:
    """One note per pitch, `ioi` seconds apart, 0.4 s long, velocity 80."""
    return [Note(start + i * ioi, 0.4, p, 80, 0, source) for i, p in enumerate(pitches)]


def request(
    context: Sequence[Note],
    *,
    start: float = 12.0,
    until: float = 40.0,
    max_events: int = 6,
    seed: int | None = 0,
    constraints: Constraints | None = None,
    markov: MarkovSpec | None = None,
    human_density: float = 0.0,
    temperature: float = 1.0,
    top_k: int = 20,
) -> GenerationRequest:
    """A request continuing `context` from `start` on the 120 bpm clock."""
    return GenerationRequest(
        context=tuple(context),
        origin=0.0,
        start=start,
        until=until,
        timebase=TB,
        max_events=max_events,
        sampling=SamplingSpec(temperature=temperature, top_p=1.0, top_k=top_k, seed=seed),
        constraints=constraints or Constraints(),
        markov=markov or MarkovSpec(order=2),
        human_density=human_density,
    )
