"""SkyTNT's score format: notes on the logical clock ↔ `[tpb, [['set_tempo', ...], ['note', ...], ...]]`.

One timebase for human and AI: tick 0 is the request's `origin` (a bar line). Only the SkyTNT backend
speaks this format. Pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from conductor.core.events import Note, Source, sort_notes
from conductor.core.timebase import Timebase

_EPS = 1e-9


def _ticks(seconds: float, tb: Timebase, tpb: int) -> int:
    return round(seconds / tb.seconds_per_beat * tpb)


def to_score(
    notes: Iterable[Note],
    origin: float,
    tb: Timebase,
    ticks_per_beat: int = 480,
    *,
    ai_channel: int | None = None,
) -> list[Any]:
    """Notes → SkyTNT score `[tpb, [['set_tempo', 0, us_per_beat], ['note', start, dur, ch, pitch, vel]...]]`.

    Ticks count from `origin`; notes starting before it are left out. End ticks are rounded, then
    durations taken, so back-to-back notes stay back to back. With `ai_channel`, AI notes go on that
    channel and human notes on it move to channel 0 (1 if the AI is on 0), so the model can tell
    them apart.
    """
    events: list[list[object]] = []
    for note in sort_notes(notes):
        if note.onset < origin - _EPS:
            continue
        start = _ticks(note.onset - origin, tb, ticks_per_beat)
        end = _ticks(note.end - origin, tb, ticks_per_beat)
        channel = _score_channel(note, ai_channel)
        events.append(["note", start, max(0, end - start), channel, note.pitch, note.velocity])
    events.sort(key=lambda e: (e[1], e[3], e[4]))
    tempo: list[object] = ["set_tempo", 0, round(tb.seconds_per_beat * 1_000_000)]
    return [ticks_per_beat, [tempo, *events]]


def _score_channel(note: Note, ai_channel: int | None) -> int:
    if ai_channel is None:
        return note.channel
    if note.source is Source.AI:
        return ai_channel
    if note.channel == ai_channel:
        return 1 if ai_channel == 0 else 0
    return note.channel


def score_note_to_note(
    event: Sequence[object],
    origin: float,
    tb: Timebase,
    ticks_per_beat: int,
    source: Source = Source.AI,
) -> Note:
    """A score event `['note', start_tick, dur_tick, channel, pitch, velocity]` → a Note on the clock.

    Velocity is clamped into 1..127 (a model's 0 becomes 1); a negative duration becomes 0.
    Raises ValueError for an event that is not a note or has a pitch/channel out of range.
    """
    if len(event) != 6 or event[0] != "note":
        raise ValueError(f"not a score note event: {event!r}")
    start, dur, channel, pitch, velocity = (int(x) for x in event[1:])  # type: ignore[call-overload]
    beat = tb.seconds_per_beat
    return Note(
        onset=origin + start / ticks_per_beat * beat,
        duration=max(0, dur) / ticks_per_beat * beat,
        pitch=pitch,
        velocity=min(127, max(1, velocity)),
        channel=channel,
        source=source,
    )
