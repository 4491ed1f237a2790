"""The take as a standard MIDI file, shared by the live recorder and the rehearsal take.

Type 1, 480 ticks a beat, constant tempo: a `conductor` track (track name, tempo, time signature,
one marker per section start), then one track per part (`human`, `ai`). For each part:

- a note-off is never placed before its own note-on: messages are paired by (channel, pitch) in the
  order they were recorded, a note-off's time is raised to its note-on's, and the sort by time is
  stable — so one note at equal ticks stays on-then-off;
- a note still sounding at the end of the part gets its note-off there (a key held when the take
  stopped), so the file never has a stuck note;
- a message at a time that is not a finite number (or past what a MIDI file can count, about 77 h
  at 120 bpm), or that is not a channel message or meta event, is left out (and counted in the log).

Events are kept and written as raw bytes (`event_bytes`): an hour's take is 100,000 messages, and as
mido objects they cost seconds of the interpreter lock at every rewrite and made every full garbage
collection of the live process (which stops the clock thread too) several times longer.

Text (section names) is written as UTF-8 bytes whatever the characters, without touching mido's
process-wide charset (`MidiFile(charset=...)` swaps a module global, unsafe with threads and not
restored on error): `midi_text` carries the UTF-8 bytes in a latin-1 string, which mido's default
charset reads and writes byte for byte; `read_midi_text` turns such text, read back with the
default charset, into the original (text that is not UTF-8, from another tool, stays as read).
"""

from __future__ import annotations

import logging
import math
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

import mido

log = logging.getLogger(__name__)
TICKS_PER_BEAT = 480
MAX_TICK = 0x0FFFFFFF  # the largest delta time a MIDI file can hold (4 bytes of 7 bits)
Timed = tuple[float, bytes | mido.Message]  # (seconds, event bytes or a mido message)
PAUSE_EVERY = 256  # events between two calls of build_midi's `pause` (about 0.5 ms of work here)
T = TypeVar("T")
_LENGTH = {0x8: 3, 0x9: 3, 0xA: 3, 0xB: 3, 0xC: 2, 0xD: 2, 0xE: 3}  # channel messages by status nibble


def midi_text(text: str) -> str:
    """`text` as mido's default (latin-1) charset writes it: its UTF-8 bytes, one char per byte."""
    return text.encode("utf-8", errors="replace").decode("latin-1")


def read_midi_text(text: str) -> str:
    """Text read with mido's default charset, as written: UTF-8 decoded; anything else as it is."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


def marker(name: str) -> bytes:
    """The marker meta event of a section named `name` (any characters, as UTF-8)."""
    return _meta(0x06, name.encode("utf-8", errors="replace"))


def event_bytes(msg: bytes | mido.Message) -> bytes:
    """A channel message or meta event (bytes, or a mido message) as it goes into a track; raises
    ValueError for anything else (a value out of range, a system message, not a message at all)."""
    data = msg if isinstance(msg, bytes) else bytes(msg.bytes())
    status = data[0] if data else 0
    if 0x80 <= status < 0xF0:
        valid = len(data) == _LENGTH[status >> 4] and all(b < 0x80 for b in data[1:])
    else:
        valid = status == 0xFF and len(data) >= 3
    if not valid:
        raise ValueError(f"not a channel message or meta event: {data.hex(' ')}")
    return data


def build_midi(
    parts: Mapping[str, Sequence[Timed]],
    bpm: float,
    meter: tuple[int, int] = (4, 4),
    pause: Callable[[], None] | None = None,
) -> bytes:
    """The bytes of a type-1 MIDI file: the `conductor` track from `parts["conductor"]` (markers),
    then one track per other part; times in seconds at the constant tempo `bpm`, in recorded order.

    A tempo outside what a MIDI file can hold is clamped (times follow the clamped tempo); a meter
    it cannot hold is left out. `pause` is called every `PAUSE_EVERY` events: the live recorder
    lets go of the interpreter lock there, so the clock thread never waits a whole switch interval
    (5 ms) for it."""
    tempo = _tempo(bpm)
    head: list[Timed] = [(0.0, _meta(0x51, tempo.to_bytes(3, "big")))]
    numerator, denominator = meter
    if 0 < numerator < 256 and 0 < denominator < 256 and denominator & (denominator - 1) == 0:
        head.append((0.0, _meta(0x58, bytes([numerator, denominator.bit_length() - 1, 24, 8]))))
    else:
        log.warning("take MIDI file: meter %s/%s left out (a MIDI file cannot hold it)", *meter)
    seconds_per_beat = tempo / 1e6
    rate = TICKS_PER_BEAT / seconds_per_beat
    chunks = [_track("conductor", head + list(parts.get("conductor", ())), rate, pause)]
    chunks += [_track(name, items, rate, pause) for name, items in parts.items() if name != "conductor"]
    return b"MThd" + struct.pack(">LHHH", 6, 1, len(chunks), TICKS_PER_BEAT) + b"".join(chunks)


def _tempo(bpm: float) -> int:
    """Microseconds a beat, within the 24 bits a MIDI file holds (120 bpm for a nonsense tempo)."""
    if not (math.isfinite(bpm) and bpm > 0):
        return 500_000
    return min(0xFFFFFF, max(1, round(60_000_000 / bpm)))


def _track(name: str, items: Sequence[Timed], rate: float, pause: Callable[[], None] | None) -> bytes:
    """One track chunk; `rate` in ticks a second."""
    body = bytearray(b"\x00" + _meta(0x03, name.encode("utf-8")))
    last = 0
    sounding: dict[tuple[int, int], int] = {}
    for t, data in _paced(_in_order(name, _paced(items, pause), rate), pause):
        tick = max(last, round(max(0.0, t) * rate))
        body += _varlen(tick - last) + data
        last = tick
        _count(sounding, data)
    for (channel, note), count in sorted(sounding.items()):
        body += bytes([0, 0x80 | channel, note, 0]) * count
    body += b"\x00\xff\x2f\x00"  # end of track
    return b"MTrk" + struct.pack(">L", len(body)) + bytes(body)


def _in_order(name: str, items: Iterable[Timed], ticks_per_second: float) -> list[tuple[float, bytes]]:
    """(seconds, bytes) of every writable item, each note-off no earlier than its note-on, stable-sorted."""
    ons: dict[tuple[int, int], list[float]] = {}
    out: list[tuple[float, bytes]] = []
    skipped = 0
    for t, msg in items:
        try:
            data = event_bytes(msg)
            if not (math.isfinite(t) and t * ticks_per_second <= MAX_TICK):
                raise ValueError(f"time {t}")
        except (ValueError, TypeError, AttributeError, IndexError):
            skipped += 1
            continue
        key, on = _note(data)
        if key is not None and on:
            ons.setdefault(key, []).append(t)
        elif key is not None and ons.get(key):
            t = max(t, ons[key].pop())  # the latest note-on of this pitch
        out.append((t, data))
    if skipped:
        log.warning("take MIDI file, track %s: left out %d message(s) it cannot hold", name, skipped)
    out.sort(key=lambda item: item[0])
    return out


def _paced(items: Iterable[T], pause: Callable[[], None] | None) -> Iterator[T]:
    """`items`, calling `pause` every `PAUSE_EVERY` of them."""
    if pause is None:
        yield from items
        return
    for i, item in enumerate(items):
        if i % PAUSE_EVERY == PAUSE_EVERY - 1:
            pause()
        yield item


def _note(data: bytes) -> tuple[tuple[int, int] | None, bool]:
    """((channel, pitch), is a note-on) for a note message, else (None, False)."""
    kind = data[0] >> 4
    if kind not in (0x8, 0x9):
        return None, False
    return (data[0] & 0x0F, data[1]), kind == 0x9 and data[2] > 0


def _count(sounding: dict[tuple[int, int], int], data: bytes) -> None:
    key, on = _note(data)
    if key is None:
        return
    if on:
        sounding[key] = sounding.get(key, 0) + 1
    elif sounding.get(key):
        sounding[key] -= 1
        if not sounding[key]:
            del sounding[key]


def _meta(kind: int, data: bytes) -> bytes:
    return bytes([0xFF, kind]) + _varlen(len(data)) + data


def _varlen(value: int) -> bytes:
    """A MIDI variable-length quantity (7 bits a byte, the high bit set on all but the last)."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))
