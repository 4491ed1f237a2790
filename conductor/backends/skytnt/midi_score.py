"""MIDI files as MIDI.py "scores", the input and output format of SkyTNT's tokenizers.

A score is `[ticks_per_beat, track, ...]`; each track is a list of events with absolute tick times:
`['note', start, duration, channel, pitch, velocity]`, `['patch_change', t, channel, patch]`,
`['control_change', t, channel, controller, value]`, `['set_tempo', t, us_per_beat]`,
`['time_signature', t, nn, dd, cc, bb]` (dd is the power of two, as stored in the file),
`['key_signature', t, sf, mi]`, and a few others the tokenizers ignore.

`read_score` gives the same score as upstream's `MIDI.midi2score` for the same file:
- a note ends at the first note-off (or note-on with velocity 0) of its channel and pitch, first
  in first out, and is appended to the track *when it ends*, so a track's notes are in order of
  their note-offs (this order reaches the token stream);
- a note-off with no sounding note is dropped;
- notes still sounding at the end of the track end there (end-of-track's own delta included) and
  are appended last, grouped by (channel, pitch) in order of that pair's first note-on;
- reading a track stops at its first end-of-track; an end-of-track with a delta leaves an empty
  text event carrying that time.
Text is kept as str (mido decodes it as latin-1) where MIDI.py keeps bytes. The file is read by
`conductor.core.midifile.read_midi` (bounded, one-line errors naming the file; a malformed meta event
costs a logged warning, not the notes).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import mido

from conductor.backends.skytnt.midi_score_write import score_to_midi, write_score
from conductor.core.errors import ConductorError
from conductor.core.inputfile import InputFileError
from conductor.core.midifile import read_midi

__all__ = ["MidiFileError", "midi_to_score", "read_score", "score_to_midi", "track_to_score", "write_score"]

log = logging.getLogger(__name__)

MAJOR_KEYS = ("Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#")
MINOR_KEYS = tuple(
    k + "m" for k in ("Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#", "G#", "D#", "A#")
)
SIMPLE_EVENTS: dict[str, tuple[str, ...]] = {  # mido type -> score name, then the fields in order
    "program_change": ("patch_change", "channel", "program"),
    "control_change": ("control_change", "channel", "control", "value"),
    "pitchwheel": ("pitch_wheel_change", "channel", "pitch"),
    "aftertouch": ("channel_after_touch", "channel", "value"),
    "polytouch": ("key_after_touch", "channel", "note", "value"),
    "set_tempo": ("set_tempo", "tempo"),
}
TEXT_EVENTS = {
    "text": "text_event",
    "copyright": "copyright_text_event",
    "track_name": "track_name",
    "instrument_name": "instrument_name",
    "lyrics": "lyric",
    "marker": "marker",
    "cue_marker": "cue_point",
}


class MidiFileError(ConductorError, ValueError):
    """Raised by `read_score` when a MIDI file is missing or cannot be read; the message is one sentence
    naming the file."""


def read_score(path: str | Path) -> list[Any]:
    """The score of the MIDI file at `path` (raises MidiFileError with a clear sentence)."""
    p = Path(path)
    if not p.is_file():
        raise MidiFileError(f"{p}: no such MIDI file")
    try:
        read = read_midi(p)
    except InputFileError as exc:
        raise MidiFileError(str(exc)) from exc
    for warning in read.warnings:
        log.warning("%s", warning)
    return midi_to_score(read.midi)


def midi_to_score(mid: mido.MidiFile) -> list[Any]:
    """The score of a parsed mido file: ticks per beat, then one list per track."""
    return [mid.ticks_per_beat, *(track_to_score(track) for track in mid.tracks)]


def track_to_score(track: list[mido.Message]) -> list[list[Any]]:
    """One track's score events, with note-ons and note-offs paired as MIDI.py pairs them."""
    ticks = 0
    events: list[list[Any]] = []
    sounding: dict[tuple[int, int], list[list[Any]]] = {}  # (channel, pitch) -> notes, oldest first
    for msg in track:
        ticks += msg.time
        if msg.type == "end_of_track":
            if msg.time > 0:
                events.append(["text_event", ticks, ""])
            break
        if msg.type == "note_off" or (msg.type == "note_on" and msg.velocity == 0):
            waiting = sounding.get((msg.channel, msg.note))
            if waiting:
                note = waiting.pop(0)
                note[2] = ticks - note[1]
                events.append(note)
        elif msg.type == "note_on":
            new = ["note", ticks, 0, msg.channel, msg.note, msg.velocity]
            sounding.setdefault((msg.channel, msg.note), []).append(new)
        else:
            event = message_to_event(msg, ticks)
            if event is not None:
                events.append(event)
    for notes in sounding.values():
        for note in notes:
            note[2] = ticks - note[1]
            events.append(note)
    return events


def message_to_event(msg: mido.Message, ticks: int) -> list[Any] | None:
    """The score event of one non-note message at `ticks`, or None for kinds not kept."""
    kind = msg.type
    if kind in SIMPLE_EVENTS:
        name, *attrs = SIMPLE_EVENTS[kind]
        return [name, ticks, *(getattr(msg, a) for a in attrs)]
    if kind == "time_signature":
        dd = int(math.log2(msg.denominator))
        return [
            "time_signature",
            ticks,
            msg.numerator,
            dd,
            msg.clocks_per_click,
            msg.notated_32nd_notes_per_beat,
        ]
    if kind == "key_signature":
        return ["key_signature", ticks, *key_to_sf_mi(msg.key)]
    if kind in TEXT_EVENTS:
        text = msg.name if kind in ("track_name", "instrument_name") else msg.text
        return [TEXT_EVENTS[kind], ticks, text]
    if kind == "sysex":
        return ["sysex_f0", ticks, bytes(msg.data) + b"\xf7"]
    return None


def key_to_sf_mi(key: str) -> tuple[int, int]:
    """(sharps or -flats, 0 major / 1 minor) of a mido key name such as "Eb" or "F#m"."""
    if key in MINOR_KEYS:
        return MINOR_KEYS.index(key) - 7, 1
    return MAJOR_KEYS.index(key) - 7, 0
