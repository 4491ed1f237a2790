"""Write a MIDI.py score (e.g. a detokenized one) as a MIDI file, the way `MIDI.score2midi` does.

Each note becomes a note-on at its start and a note-off (carrying the note's velocity) at its end.
Events are ordered by time; at one time they keep the order in which the track lists them (a
note's note-off is placed when its note is listed), as upstream. Notes of velocity 0 would be
written as a bare note-off, so they are left out unless `keep_silent=True`. Events mido rejects
(out-of-range values) are skipped with a warning rather than failing the whole file.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import mido

log = logging.getLogger(__name__)

MAJOR = ("Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#")
MINOR = ("Abm", "Ebm", "Bbm", "Fm", "Cm", "Gm", "Dm", "Am", "Em", "Bm", "F#m", "C#m", "G#m", "D#m", "A#m")
_CHANNEL_EVENTS = {
    "patch_change": ("program_change", "channel", "program"),
    "control_change": ("control_change", "channel", "control", "value"),
    "pitch_wheel_change": ("pitchwheel", "channel", "pitch"),
    "channel_after_touch": ("aftertouch", "channel", "value"),
    "key_after_touch": ("polytouch", "channel", "note", "value"),
}
_TEXT_EVENTS = {
    "text_event": ("text", "text"),
    "copyright_text_event": ("copyright", "text"),
    "track_name": ("track_name", "name"),
    "instrument_name": ("instrument_name", "name"),
    "lyric": ("lyrics", "text"),
    "marker": ("marker", "text"),
    "cue_point": ("cue_marker", "text"),
}


def score_to_midi(score: list[Any], keep_silent: bool = False) -> mido.MidiFile:
    """A mido file (type 0 for one track, else 1) holding `score`."""
    tracks = score[1:]
    mid = mido.MidiFile(type=0 if len(tracks) == 1 else 1, ticks_per_beat=int(score[0]))
    for track in tracks:
        mid.tracks.append(_track_messages(track, keep_silent))
    return mid


def write_score(score: list[Any], path: str | Path, keep_silent: bool = False) -> None:
    """Save `score` as a standard MIDI file at `path`."""
    score_to_midi(score, keep_silent).save(str(path))


def _track_messages(track: list[list[Any]], keep_silent: bool) -> mido.MidiTrack:
    timed: list[tuple[int, int, mido.Message | mido.MetaMessage]] = []
    for event in track:
        for ticks, msg in _event_messages(event, keep_silent):
            timed.append((ticks, len(timed), msg))
    timed.sort(key=lambda item: (item[0], item[1]))
    out = mido.MidiTrack()
    now = 0
    for ticks, _, msg in timed:
        out.append(msg.copy(time=ticks - now))
        now = ticks
    return out


def _event_messages(event: list[Any], keep_silent: bool) -> list[tuple[int, Any]]:
    try:
        return _convert(event, keep_silent)
    except (ValueError, TypeError, IndexError) as exc:
        log.warning("skipping score event %r: %s", event, exc)
        return []


def _convert(event: list[Any], keep_silent: bool) -> list[tuple[int, Any]]:
    name, ticks = event[0], int(event[1])
    if name == "note":
        _, start, dur, channel, pitch, velocity = event[:6]
        if velocity == 0 and not keep_silent:
            return []
        on = mido.Message("note_on", channel=channel, note=pitch, velocity=velocity)
        off = mido.Message("note_off", channel=channel, note=pitch, velocity=velocity)
        return [(int(start), on), (int(start) + int(dur), off)]
    if name in _CHANNEL_EVENTS:
        kind, *attrs = _CHANNEL_EVENTS[name]
        return [(ticks, mido.Message(kind, **dict(zip(attrs, event[2:], strict=False))))]
    return [(ticks, msg) for msg in _meta(name, event) if msg is not None]


def _meta(name: str, event: list[Any]) -> list[Any]:
    if name == "set_tempo":
        return [mido.MetaMessage("set_tempo", tempo=event[2])]
    if name == "time_signature":
        nn, dd, cc, bb = event[2:6]
        msg = mido.MetaMessage("time_signature", numerator=nn, denominator=2**dd)
        return [msg.copy(clocks_per_click=cc, notated_32nd_notes_per_beat=bb)]
    if name == "key_signature":
        sf, mi = event[2:4]
        return (
            [mido.MetaMessage("key_signature", key=(MINOR if mi else MAJOR)[sf + 7])] if -7 <= sf <= 7 else []
        )
    if name in _TEXT_EVENTS:
        kind, attr = _TEXT_EVENTS[name]
        text = event[2].decode("latin-1") if isinstance(event[2], bytes) else str(event[2])
        return [mido.MetaMessage(kind, **{attr: text})]
    if name == "sysex_f0":
        return [mido.Message("sysex", data=bytes(event[2]).rstrip(b"\xf7"))]
    return []
