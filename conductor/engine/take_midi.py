"""The take as a standard MIDI file, shared by the live recorder and the rehearsal take.

Type 1, 480 ticks a beat, constant tempo: a `conductor` track (track name, tempo, time signature,
one marker per section start), then one track per part (`human`, `ai`). For each part:

- a note-off is never placed before its own note-on: messages are paired by (channel, pitch) in the
  order they were recorded, a note-off's time is raised to its note-on's, and the sort by time is
  stable — so one note at equal ticks stays on-then-off;
- a note still sounding at the end of the part gets its note-off there (a key held when the take
  stopped), so the file never has a stuck note;
- a message at a time that is not a finite number is left out (and counted in the log).

Channel messages are taken as valid (they are checked when recorded): copying each one with mido's
checks made rewriting an hour's take (100,000 messages) cost seconds of the interpreter lock.

Text (section names) is written as UTF-8 bytes whatever the characters, without touching mido's
process-wide charset (`MidiFile(charset=...)` swaps a module global, unsafe with threads and not
restored on error): `midi_text` carries the UTF-8 bytes in a latin-1 string, which mido's default
charset writes byte for byte; `read_midi_text` turns such text, read back with the default charset,
into the original (text that is not UTF-8, from another tool, stays as read).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import mido

log = logging.getLogger(__name__)
TICKS_PER_BEAT = 480
Timed = tuple[float, Any]  # (seconds, mido.Message or mido.MetaMessage)


def midi_text(text: str) -> str:
    """`text` as mido's default (latin-1) charset writes it: its UTF-8 bytes, one char per byte."""
    return text.encode("utf-8", errors="replace").decode("latin-1")


def read_midi_text(text: str) -> str:
    """Text read with mido's default charset, as written: UTF-8 decoded; anything else as it is."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


def marker(name: str) -> mido.MetaMessage:
    """A marker meta message for a section named `name` (any characters)."""
    return mido.MetaMessage("marker", text=midi_text(name))


def build_midi(
    parts: Mapping[str, Sequence[Timed]], bpm: float, meter: tuple[int, int] = (4, 4)
) -> mido.MidiFile:
    """A type-1 MIDI file: the `conductor` track from `parts["conductor"]` (markers), then one track
    per other part; times in seconds at the constant tempo `bpm`, messages in recorded order.

    A tempo outside what a MIDI file can hold is clamped (times follow the clamped tempo); a meter
    it cannot hold is left out."""
    tempo = _tempo(bpm)
    head: list[Timed] = [(0.0, mido.MetaMessage("set_tempo", tempo=tempo))]
    try:
        head.append((0.0, mido.MetaMessage("time_signature", numerator=meter[0], denominator=meter[1])))
    except (TypeError, ValueError) as exc:
        log.warning("take MIDI file: meter %s/%s left out (%s)", meter[0], meter[1], exc)
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    seconds_per_beat = tempo / 1e6
    midi.tracks.append(_track("conductor", head + list(parts.get("conductor", ())), seconds_per_beat))
    for name, items in parts.items():
        if name != "conductor":
            midi.tracks.append(_track(name, items, seconds_per_beat))
    return midi


def _tempo(bpm: float) -> int:
    """Microseconds a beat, within the 24 bits a MIDI file holds (120 bpm for a nonsense tempo)."""
    if not (math.isfinite(bpm) and bpm > 0):
        return 500_000
    return min(0xFFFFFF, max(1, round(60_000_000 / bpm)))


def _track(name: str, items: Sequence[Timed], seconds_per_beat: float) -> mido.MidiTrack:
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
    last = 0
    sounding: dict[tuple[int, int], int] = {}
    for t, msg in _in_time_order(name, items):
        tick = max(last, round(max(0.0, t) / seconds_per_beat * TICKS_PER_BEAT))
        track.append(_at(msg, tick - last))
        last = tick
        _count(sounding, msg)
    for (channel, note), count in sorted(sounding.items()):
        track.extend(mido.Message("note_off", channel=channel, note=note) for _ in range(count))
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def _in_time_order(name: str, items: Sequence[Timed]) -> list[Timed]:
    """Finite times only; each note-off no earlier than its note-on; stable-sorted by time."""
    ons: dict[tuple[int, int], list[float]] = {}
    out: list[Timed] = []
    skipped = 0
    for t, msg in items:
        if not math.isfinite(t):
            skipped += 1
            continue
        key = _note_key(msg)
        if key is not None and _is_on(msg):
            ons.setdefault(key, []).append(t)
        elif key is not None and ons.get(key):
            t = max(t, ons[key].pop())  # the latest note-on of this pitch
        out.append((t, msg))
    if skipped:
        log.warning(
            "take MIDI file, track %s: %d message(s) at a time that is not a number left out", name, skipped
        )
    return sorted(out, key=lambda item: item[0])


def _at(msg: Any, delta: int) -> Any:
    """A copy with delta time `delta`; a channel message (already valid) is not checked again (6× faster)."""
    if isinstance(msg, mido.Message):
        return msg.copy(skip_checks=True, time=delta)
    return msg.copy(time=delta)


def _note_key(msg: Any) -> tuple[int, int] | None:
    return (msg.channel, msg.note) if msg.type in ("note_on", "note_off") else None


def _is_on(msg: Any) -> bool:
    return bool(msg.type == "note_on" and msg.velocity > 0)


def _count(sounding: dict[tuple[int, int], int], msg: Any) -> None:
    key = _note_key(msg)
    if key is None:
        return
    if _is_on(msg):
        sounding[key] = sounding.get(key, 0) + 1
    elif sounding.get(key):
        sounding[key] -= 1
        if not sounding[key]:
            del sounding[key]
