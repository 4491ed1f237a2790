"""A take's MIDI file read for evaluation: its sections, its timebase, the human's and the AI's notes.

A take (`conductor rehearse --out`, or the `.mid` a live performance records) is a type-1 file with a
`conductor` track (tempo, time signature, one marker per section start, UTF-8 names), a `human` and an
`ai` track (`conductor.engine.take_midi`). Notes are paired by `NoteTracker`, as the engine pairs
them (velocity-0 note-ons end notes, a re-strike ends the sounding note, the sustain pedal holds).
Times are seconds and honour every tempo change; bars are counted at the take's first tempo and time
signature (a take has one of each). Without markers the whole file is one section, `take`.
"""

from __future__ import annotations

import bisect
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mido

from conductor.core.errors import ConductorError
from conductor.core.events import Note, Source
from conductor.core.timebase import Timebase
from conductor.engine.take_midi import read_midi_text
from conductor.engine.tracker import NoteTracker

PARTS = {"human": Source.HUMAN, "ai": Source.AI}
_UNREADABLE = (OSError, EOFError, ValueError, KeyError, IndexError, mido.KeySignatureError)


class TakeError(ConductorError, ValueError):
    """Raised by `read_take` for a file `conductor evaluate` cannot read as a take; the message is one
    line naming the file."""


@dataclass(frozen=True, slots=True)
class TakeNotes:
    """What evaluation reads from a take: everything on one timebase, in seconds from its start.

    `markers` are (start, section name) in time order; notes are sorted by onset (then pitch); `end`
    is the time of the take's last event.
    """

    source: str
    timebase: Timebase
    markers: tuple[tuple[float, str], ...]
    human: tuple[Note, ...]
    ai: tuple[Note, ...]
    end: float

    def with_ai(self, notes: list[Note]) -> TakeNotes:
        """The same take with other AI notes (baselines: a random player, an echo)."""
        ai = tuple(sorted(notes, key=lambda n: (n.onset, n.pitch)))
        end = max([self.end, *(n.end for n in ai)])
        return TakeNotes(self.source, self.timebase, self.markers, self.human, ai, end)


def read_take(path: Path) -> TakeNotes:
    """The take in the MIDI file at `path`; raises `TakeError` naming the file and what is wrong."""
    if path.suffix == ".jsonl":
        twin = path.with_suffix(".mid")
        raise TakeError(f"{path}: a live take's event log; evaluate reads its MIDI file, {twin}")
    if not path.is_file():
        raise TakeError(f"{path}: no such file (expected a take: the .mid `conductor rehearse --out` writes)")
    try:
        midi = mido.MidiFile(path)
    except _UNREADABLE as exc:
        raise TakeError(f"{path}: not a readable MIDI file ({str(exc) or type(exc).__name__})") from exc
    return take_from_midi(midi, str(path))


def take_from_bytes(data: bytes, source: str = "take") -> TakeNotes:
    """The take in MIDI file bytes (a rehearsal's `Take.midi_bytes`); raises `TakeError`."""
    try:
        midi = mido.MidiFile(file=io.BytesIO(data))
    except _UNREADABLE as exc:
        raise TakeError(f"{source}: not a readable MIDI file ({str(exc) or type(exc).__name__})") from exc
    return take_from_midi(midi, source)


def take_from_midi(midi: mido.MidiFile, source: str) -> TakeNotes:
    """The take in a parsed MIDI file; raises `TakeError` if it lacks a `human` or an `ai` track."""
    names = [track.name for track in midi.tracks]
    missing = [name for name in PARTS if name not in names]
    if missing:
        shown = ", ".join(repr(n) for n in names) or "none"
        raise TakeError(
            f"{source}: not a conductor take: no track named {missing[0]!r} (its tracks: {shown}); "
            "evaluate reads the .mid that `conductor rehearse` or `conductor perform` writes"
        )
    timed = [_absolute(track) for track in midi.tracks]
    seconds = _clock([item for track in timed for item in track], midi.ticks_per_beat)
    tracks: dict[str, list[tuple[float, mido.Message]]] = {}
    for name, items in zip(names, timed, strict=True):
        tracks.setdefault(name, [(seconds(tick), msg) for tick, msg in items])  # the first of a name
    conductor = tracks.get("conductor", tracks[names[0]])
    notes = {name: _notes(tracks[name], source) for name, source in PARTS.items()}
    end = max((items[-1][0] for items in tracks.values() if items), default=0.0)
    end = max([end, *(n.end for part in notes.values() for n in part)])
    return TakeNotes(source, _timebase(conductor), _markers(conductor), notes["human"], notes["ai"], end)


def _absolute(track: mido.MidiTrack) -> list[tuple[int, mido.Message]]:
    """(absolute tick, message) of every message of a track."""
    tick = 0
    out = []
    for msg in track:
        tick += msg.time
        out.append((tick, msg))
    return out


def _clock(items: list[tuple[int, mido.Message]], ticks_per_beat: int) -> Callable[[int], float]:
    """Ticks → seconds under every `set_tempo` of the file (120 bpm until the first)."""
    changes = sorted((tick, msg.tempo) for tick, msg in items if msg.type == "set_tempo")
    ticks, starts, tempos = [0], [0.0], [500_000]
    for tick, tempo in changes:
        starts.append(starts[-1] + mido.tick2second(tick - ticks[-1], ticks_per_beat, tempos[-1]))
        ticks.append(tick)
        tempos.append(tempo)

    def seconds(tick: int) -> float:
        i = bisect.bisect_right(ticks, tick) - 1
        return starts[i] + mido.tick2second(tick - ticks[i], ticks_per_beat, tempos[i])

    return seconds


def _notes(items: list[tuple[float, mido.Message]], source: Source) -> tuple[Note, ...]:
    """The notes of one part, paired by `NoteTracker`; a note still sounding ends with the part."""
    tracker = NoteTracker(source)
    notes: list[Note] = []
    for t, msg in items:
        if not msg.is_meta:
            notes.extend(tracker.feed(msg, t))
    notes.extend(tracker.flush(items[-1][0] if items else 0.0))
    return tuple(sorted(notes, key=lambda n: (n.onset, n.pitch)))


def _timebase(items: list[tuple[float, mido.Message]]) -> Timebase:
    """The first tempo and time signature (120 bpm, 4/4 when the file has none)."""
    tempo = next((msg.tempo for _, msg in items if msg.type == "set_tempo"), 500_000)
    meter = next(((m.numerator, m.denominator) for _, m in items if m.type == "time_signature"), (4, 4))
    return Timebase(mido.tempo2bpm(tempo), meter[0], meter[1])


def _markers(items: list[tuple[float, mido.Message]]) -> tuple[tuple[float, str], ...]:
    """(time, section name) of every marker, names decoded as the take writer encodes them."""
    return tuple((t, read_midi_text(msg.text)) for t, msg in items if msg.type == "marker")
