"""Note tracking: raw MIDI messages in, complete `Note`s out.

`NoteTracker` turns a stream of mido messages (stamped with logical clock time) into notes with
onset, duration, pitch, velocity, channel and source. It handles what real keyboards send:

- a note-on with velocity 0 is a note-off;
- a second note-on of a pitch that is still sounding closes the first note at that time and starts
  a new one (also for a note only held by the pedal: re-striking it closes and restarts it);
- a note-off without a sounding note is ignored and counted in `stray_offs`;
- the sustain pedal (CC64, value >= 64 is down) holds released notes until it goes up;
- every other message (other CCs, pitch bend, clock, ...) is ignored.

State is kept per channel. Not thread-safe: one caller (the engine thread). Every method is
realtime-safe: O(1) per message except pedal-up and `flush`, which are O(notes sounding).
"""

from __future__ import annotations

from dataclasses import dataclass

import mido

from conductor.core.events import Note, Source, sort_notes

SUSTAIN_CC = 64
PEDAL_DOWN = 64  # CC64 values >= this hold notes


@dataclass(slots=True)
class _Sounding:
    """A note that has started and not ended yet."""

    onset: float
    velocity: int
    released: bool = False  # key let go while the pedal is down: the pedal holds it


class NoteTracker:
    """Raw MIDI messages → complete notes, per channel. See the module docstring for the rules."""

    def __init__(self, source: Source = Source.HUMAN, channel_filter: int | None = None) -> None:
        """`channel_filter`: only messages on this 0-based channel are tracked (None: all)."""
        self.source = source
        self.channel_filter = channel_filter
        self.stray_offs = 0  # note-offs that matched no sounding note
        self._sounding: dict[tuple[int, int], _Sounding] = {}  # (channel, pitch) → note
        self._pedal: set[int] = set()  # channels whose sustain pedal is down

    def feed(self, msg: mido.Message, t: float) -> list[Note]:
        """Take one message at logical time `t`; return the notes it completed (sorted by onset)."""
        channel = getattr(msg, "channel", None)
        if channel is None or (self.channel_filter is not None and channel != self.channel_filter):
            return []
        if msg.type == "note_on" and msg.velocity > 0:
            return self._note_on(channel, msg.note, msg.velocity, t)
        if msg.type in ("note_on", "note_off"):
            return self._note_off(channel, msg.note, t)
        if msg.type == "control_change" and msg.control == SUSTAIN_CC:
            return self._pedal_change(channel, msg.value >= PEDAL_DOWN, t)
        return []

    def held(self, t: float) -> list[Note]:
        """Notes still sounding at `t` (keys down or held by the pedal), with their duration so far."""
        notes = [self._close(key, state, t) for key, state in self._sounding.items()]
        return sort_notes(notes)

    def flush(self, t: float) -> list[Note]:
        """End every sounding note at `t` and forget all state (pedals up): the end of a take."""
        notes = self.held(t)
        self._sounding.clear()
        self._pedal.clear()
        return notes

    @property
    def sounding_count(self) -> int:
        """How many notes are sounding now."""
        return len(self._sounding)

    # ------------------------------------------------------------------ internals

    def _note_on(self, channel: int, pitch: int, velocity: int, t: float) -> list[Note]:
        key = (channel, pitch)
        previous = self._sounding.pop(key, None)
        self._sounding[key] = _Sounding(onset=t, velocity=velocity)
        return [] if previous is None else [self._close(key, previous, t)]

    def _note_off(self, channel: int, pitch: int, t: float) -> list[Note]:
        key = (channel, pitch)
        state = self._sounding.get(key)
        if state is None or state.released:
            self.stray_offs += 1
            return []
        if channel in self._pedal:
            state.released = True
            return []
        del self._sounding[key]
        return [self._close(key, state, t)]

    def _pedal_change(self, channel: int, down: bool, t: float) -> list[Note]:
        if down:
            self._pedal.add(channel)
            return []
        self._pedal.discard(channel)
        ended = [key for key, state in self._sounding.items() if key[0] == channel and state.released]
        notes = [self._close(key, self._sounding.pop(key), t) for key in ended]
        return sort_notes(notes)

    def _close(self, key: tuple[int, int], state: _Sounding, t: float) -> Note:
        channel, pitch = key
        return Note(
            onset=state.onset,
            duration=max(0.0, t - state.onset),
            pitch=pitch,
            velocity=state.velocity,
            channel=channel,
            source=self.source,
        )
