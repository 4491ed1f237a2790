"""The take of a rehearsal: everything the engine reported, written as a standard MIDI file.

The file is type 1 with three tracks: `conductor` (tempo, meter, a marker named after each section
where it starts), `human` and `ai`. Nothing in it depends on the wall clock, so the same rehearsal
gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mido

from conductor.core.events import Note, Source
from conductor.engine.tracker import NoteTracker
from conductor.piece.compiled import Piece

TICKS_PER_BEAT = 480


@dataclass(slots=True)
class Take:
    """A `TakeSink` that keeps everything in memory (rehearsals)."""

    human_messages: list[tuple[float, mido.Message]] = field(default_factory=list)
    ai_messages: list[tuple[float, mido.Message]] = field(default_factory=list)
    sections: list[tuple[float, str]] = field(default_factory=list)
    presses: list[tuple[float, str, str | None]] = field(default_factory=list)
    generations: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)

    def human(self, msg: mido.Message, t: float) -> None:
        self.human_messages.append((t, msg))

    def ai(self, msg: mido.Message, t: float) -> None:
        self.ai_messages.append((t, msg))

    def section(self, name: str, t: float, **info: Any) -> None:
        self.sections.append((t, name))

    def press(self, action: str, t: float, target: str | None = None) -> None:
        self.presses.append((t, action, target))

    def generation(self, generation: int, t: float, **params: Any) -> None:
        self.generations.append({"generation": generation, "t": t, **params})

    def note(self, kind: str, t: float, **info: Any) -> None:
        self.events.append((t, kind, info))

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

    def to_midi(self, piece: Piece) -> mido.MidiFile:
        """The take as a type-1 MIDI file at the piece's tempo."""
        tb = piece.timebase
        tempo = mido.bpm2tempo(tb.bpm)
        meta: list[tuple[float, mido.MetaMessage]] = [
            (0.0, mido.MetaMessage("set_tempo", tempo=tempo)),
            (0.0, mido.MetaMessage("time_signature", numerator=tb.beats_per_bar, denominator=tb.beat_unit)),
        ]
        meta += [(t, mido.MetaMessage("marker", text=name)) for t, name in self.sections]
        midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
        for name, items in (("conductor", meta), ("human", self.human_messages), ("ai", self.ai_messages)):
            midi.tracks.append(_track(name, items, tb.seconds_per_beat))
        return midi

    def write(self, piece: Piece, path: Path) -> Path:
        """Write the MIDI file (parent folders created); returns `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.to_midi(piece).save(path)
        return path


def _track(name: str, items: list[tuple[float, Any]], seconds_per_beat: float) -> mido.MidiTrack:
    """Messages in the order given (already time-ordered), as delta ticks."""
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
    last = 0
    for t, msg in items:
        tick = max(last, round(max(0.0, t) / seconds_per_beat * TICKS_PER_BEAT))
        track.append(msg.copy(time=tick - last))
        last = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track
