"""Hand-made takes for the evaluation tests: notes in, a take's MIDI bytes (the real writer) out."""

from __future__ import annotations

from collections.abc import Sequence

import mido

from conductor.core.events import Note, Source
from conductor.engine.take_midi import build_midi, marker
from conductor.evaluate import TakeNotes, take_from_bytes


def note(onset: float, pitch: int, duration: float = 0.25, source: Source = Source.AI) -> Note:
    return Note(onset, duration, pitch, 80, 1 if source is Source.AI else 0, source)


def line(onset: float, pitches: Sequence[int], step: float = 0.25, source: Source = Source.AI) -> list[Note]:
    """A monophonic line, one note every `step` seconds (each lasting `step` minus 10 ms)."""
    return [note(onset + i * step, p, step - 0.01, source) for i, p in enumerate(pitches)]


def messages(notes: Sequence[Note]) -> list[tuple[float, mido.Message]]:
    out = []
    for n in notes:
        out.append((n.onset, mido.Message("note_on", channel=n.channel, note=n.pitch, velocity=n.velocity)))
        out.append((n.end, mido.Message("note_off", channel=n.channel, note=n.pitch)))
    return sorted(out, key=lambda item: item[0])


def take_bytes(
    human: Sequence[Note],
    ai: Sequence[Note],
    sections: Sequence[tuple[float, str]] = ((0.0, "one"),),
    bpm: float = 120.0,
    meter: tuple[int, int] = (4, 4),
) -> bytes:
    """A take's MIDI file as `conductor rehearse` writes it (tempo, meter, markers, human, ai)."""
    parts = {
        "conductor": [(t, marker(name)) for t, name in sections],
        "human": messages(human),
        "ai": messages(ai),
    }
    return build_midi(parts, bpm, meter)


def make_take(human: Sequence[Note], ai: Sequence[Note], **kwargs: object) -> TakeNotes:
    """The take of `take_bytes`, read back as evaluation reads it."""
    return take_from_bytes(take_bytes(human, ai, **kwargs), "test take")  # type: ignore[arg-type]
