"""The take of a rehearsal: everything the engine reported, written as a standard MIDI file.

The file (`conductor.engine.take_midi.build_midi`, the same writer as a live take's) is type 1 with
three tracks: `conductor` (tempo, meter, a marker named after each section where it starts), `human`
and `ai`. Nothing in it depends on the wall clock, so the same rehearsal gives the same bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import mido

from conductor.core.events import Note, Source
from conductor.engine.take_events import GenerationStarted, Pressed, SectionStarted, TakeEvent
from conductor.engine.take_midi import build_midi, marker
from conductor.engine.tracker import NoteTracker
from conductor.piece.compiled import Piece

E = TypeVar("E", bound=TakeEvent)


@dataclass(slots=True)
class Take:
    """A `TakeSink` that keeps everything in memory (rehearsals)."""

    human_messages: list[tuple[float, mido.Message]] = field(default_factory=list)
    ai_messages: list[tuple[float, mido.Message]] = field(default_factory=list)
    events: list[tuple[float, TakeEvent]] = field(default_factory=list)

    def human(self, msg: mido.Message, t: float) -> None:
        self.human_messages.append((t, msg))

    def ai(self, msg: mido.Message, t: float) -> None:
        self.ai_messages.append((t, msg))

    def record(self, event: TakeEvent, t: float) -> None:
        self.events.append((t, event))

    def of(self, kind: type[E]) -> list[tuple[float, E]]:
        """The recorded events of one type, with their times, in order."""
        return [(t, e) for t, e in self.events if isinstance(e, kind)]

    @property
    def sections(self) -> list[tuple[float, str]]:
        """(start, name) of every section entered."""
        return [(t, e.name) for t, e in self.of(SectionStarted)]

    @property
    def presses(self) -> list[tuple[float, str, str | None]]:
        """(time, action, target) of every action fired."""
        return [(t, e.action, e.target) for t, e in self.of(Pressed)]

    @property
    def generations(self) -> list[GenerationStarted]:
        """Every generation started, with its parameters."""
        return [e for _, e in self.of(GenerationStarted)]

    def notes(self, source: Source) -> list[Note]:
        """The human's or the AI's notes, paired from the messages."""
        items = self.human_messages if source is Source.HUMAN else self.ai_messages
        tracker = NoteTracker(source)
        notes: list[Note] = []
        for t, msg in items:
            notes.extend(tracker.feed(msg, t))
        end = items[-1][0] if items else 0.0
        notes.extend(tracker.flush(end))
        return sorted(notes, key=lambda n: (n.onset, n.pitch))

    def end(self) -> float:
        """The time of the last message."""
        times = [items[-1][0] for items in (self.human_messages, self.ai_messages) if items]
        return max(times, default=0.0)

    def midi_bytes(self, piece: Piece) -> bytes:
        """The take as a type-1 MIDI file at the piece's tempo."""
        tb = piece.timebase
        parts = {
            "conductor": [(t, marker(name)) for t, name in self.sections],
            "human": self.human_messages,
            "ai": self.ai_messages,
        }
        return build_midi(parts, tb.bpm, (tb.beats_per_bar, tb.beat_unit))

    def to_midi(self, piece: Piece) -> mido.MidiFile:
        """The take's MIDI file, as mido reads it."""
        return mido.MidiFile(file=io.BytesIO(self.midi_bytes(piece)))

    def write(self, piece: Piece, path: Path) -> Path:
        """Write the MIDI file (parent folders created); returns `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.midi_bytes(piece))
        return path
