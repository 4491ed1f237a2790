"""The scheduler: a thread-safe deadline heap of MIDI messages in logical time.

It turns AI `Note`s into note-on/note-off messages and guarantees a note-off for every note-on it ever
releases: on a note's normal end, and when a generation is cancelled (section change, replace, hot
reload, model error), on panic and on shutdown. It knows which notes are sounding. A pitch that is
struck again while it sounds on the same channel is closed first, so two same-pitch notes never
overlap on one channel (that is how stuck notes happen).

No note lasts less than `MIN_NOTE_S` (over a MIDI tick at any tempo a piece allows), so none is ever
zero-length and no note-off can come before its note-on, on the port or in the take: a note whose
own length is shorter is held that long; a cut (cancel, panic, close_all) dated at or before the
start of a note the clock thread has already sent closes it `MIN_NOTE_S` after its start (a late
engine thread dates its cuts at grid points the clock thread may have passed), while notes not yet
sent are dropped with their note-offs; a pitch struck twice within `MIN_NOTE_S` sounds once, for
the longer of the two.

Closing note-offs (cancel, panic, close_all) are queued at the given time, so the one thread that
drains `due(t)` sends every message, in order. Each method says whether it is realtime-safe (bounded,
no allocation beyond the messages it returns) — the live clock thread calls only those.

Locking: `_lock` guards every field below it in `__init__`.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
from collections import deque
from collections.abc import Callable, Container
from dataclasses import dataclass, replace

import mido

from conductor.core.events import Note

_OFF, _CTRL, _ON = 0, 1, 2  # order of messages due at the same time
MIN_NOTE_S = 0.01  # the shortest note sent: 1.6 ticks at 20 bpm, the slowest tempo a piece allows


@dataclass(frozen=True, slots=True)
class Scheduled:
    """A note the scheduler holds, with its id and the generation that produced it."""

    id: int
    note: Note
    generation: int


@dataclass(frozen=True, slots=True)
class _Sounding:
    """A note sent and not yet closed: struck at `on`, its note-off queued at `off`."""

    item: Scheduled
    on: float
    off: float


class Scheduler:
    """Deadline heap of MIDI messages; `due(t)` releases them in time order.

    Thread-safe: every public method takes one lock. Entries are `(time, kind, seq, payload)`.
    """

    def __init__(self, finished_limit: int = 4096) -> None:
        self._ids = itertools.count()
        self._lock = threading.Lock()
        # guarded by _lock:
        self._heap: list[tuple[float, int, int, object]] = []
        self._pending: dict[int, Scheduled] = {}  # note-ons not yet released
        self._sounding: dict[tuple[int, int], _Sounding] = {}  # (channel, pitch) -> the note on it
        self._finished: deque[Note] = deque(maxlen=finished_limit)  # notes as actually played
        self._channels: set[int] = set()

    # ------------------------------------------------------------ adding

    def add(self, note: Note, generation: int) -> int:
        """Schedule `note` (its channel is the MIDI channel); returns its id. Realtime-safe."""
        with self._lock:
            item = Scheduled(next(self._ids), note, generation)
            self._pending[item.id] = item
            heapq.heappush(self._heap, (note.onset, _ON, item.id, item))
            return item.id

    def add_message(self, msg: mido.Message, t: float) -> None:
        """Queue a non-note message (program change, CC) for time `t`. Realtime-safe."""
        with self._lock:
            heapq.heappush(self._heap, (t, _CTRL, next(self._ids), msg))

    # ------------------------------------------------------------ releasing

    def due(self, t: float) -> list[tuple[float, mido.Message]]:
        """Every message due at or before `t`, in order, each with its scheduled time. Realtime-safe."""
        out: list[tuple[float, mido.Message]] = []
        with self._lock:
            while self._heap and self._heap[0][0] <= t:
                at, kind, seq, payload = heapq.heappop(self._heap)
                if kind == _ON:
                    self._release_on(at, payload, out)  # type: ignore[arg-type]
                elif kind == _OFF:
                    self._release_off(at, seq, payload, out)  # type: ignore[arg-type]
                else:
                    out.append((at, payload))
        return out

    def _release_on(self, at: float, item: Scheduled, out: list[tuple[float, mido.Message]]) -> None:
        if self._pending.pop(item.id, None) is None:
            return  # cancelled
        note = item.note
        key = (note.channel, note.pitch)
        old = self._sounding.get(key)
        if old is not None and at - old.on < MIN_NOTE_S:  # struck twice at once: one note, the longer
            self._end_at(key, _Sounding(item, old.on, math.inf), max(note.end, old.off))
            return
        if old is not None:  # re-strike: close the old note first
            self._close(key, at, out)
        out.append(
            (at, mido.Message("note_on", channel=note.channel, note=note.pitch, velocity=note.velocity))
        )
        self._channels.add(note.channel)
        self._end_at(key, _Sounding(item, at, math.inf), note.end)

    def _end_at(self, key: tuple[int, int], sounding: _Sounding, off: float) -> float:
        """Make `sounding` the note on `key`, its note-off queued at `off` — but never later than one
        already queued for it, nor sooner than `MIN_NOTE_S` after its start. Returns that time."""
        off = min(sounding.off, max(off, sounding.on + MIN_NOTE_S))
        self._sounding[key] = replace(sounding, off=off)
        heapq.heappush(self._heap, (off, _OFF, sounding.item.id, key))
        return off

    def _release_off(
        self, at: float, seq: int, key: tuple[int, int], out: list[tuple[float, mido.Message]]
    ) -> None:
        live = self._sounding.get(key)
        if live is not None and live.item.id == seq:
            self._close(key, at, out)

    def _close(self, key: tuple[int, int], at: float, out: list[tuple[float, mido.Message]]) -> None:
        live = self._sounding.pop(key)
        out.append((at, mido.Message("note_off", channel=key[0], note=key[1], velocity=0)))
        self._finished.append(replace(live.item.note, onset=live.on, duration=max(0.0, at - live.on)))

    # ------------------------------------------------------------ cancelling

    def cancel(self, generation: int | Container[int], t: float) -> list[tuple[float, mido.Message]]:
        """Drop a generation's (or several's) unsounded notes and queue note-offs at `t` for its
        sounding ones. Returns the queued note-offs (the next `due(t)` sends them). O(n)."""
        gens: Container[int] = (generation,) if isinstance(generation, int) else generation
        with self._lock:
            self._drop_pending(lambda item: item.generation in gens)
            keys = [k for k, live in self._sounding.items() if live.item.generation in gens]
            return self._queue_closing(keys, t)

    def close_all(self, t: float) -> list[tuple[float, mido.Message]]:
        """Drop every unsounded note and queue note-offs at `t` for all sounding ones (shutdown, mute)."""
        with self._lock:
            self._drop_pending(lambda item: True)
            return self._queue_closing(list(self._sounding), t)

    def panic(self, t: float) -> list[tuple[float, mido.Message]]:
        """`close_all(t)` plus an all-notes-off (CC 123) on every channel ever used."""
        with self._lock:
            self._drop_pending(lambda item: True)
            out = self._queue_closing(list(self._sounding), t)
            for channel in sorted(self._channels):
                msg = mido.Message("control_change", channel=channel, control=123, value=0)
                heapq.heappush(self._heap, (t, _CTRL, next(self._ids), msg))
                out.append((t, msg))
            return out

    def _drop_pending(self, doomed: Callable[[Scheduled], bool]) -> None:
        gone = {i for i, item in self._pending.items() if doomed(item)}
        if not gone:
            return
        for i in gone:
            del self._pending[i]
        self._heap = [e for e in self._heap if not (e[1] == _ON and e[2] in gone)]
        heapq.heapify(self._heap)

    def _queue_closing(self, keys: list[tuple[int, int]], t: float) -> list[tuple[float, mido.Message]]:
        """Move the note-off of each sounding `key` to `t` (or `MIN_NOTE_S` after its start, if later);
        the note-offs queued before become stale and are ignored when popped."""
        out: list[tuple[float, mido.Message]] = []
        for key in sorted(keys):
            off = self._end_at(key, self._sounding[key], t)
            out.append((off, mido.Message("note_off", channel=key[0], note=key[1], velocity=0)))
        return out

    # ------------------------------------------------------------ queries

    def next_deadline(self) -> float | None:
        """Time of the earliest queued message, or None. Realtime-safe."""
        with self._lock:
            return self._heap[0][0] if self._heap else None

    def sounding(self) -> list[Note]:
        """Notes sounding now (onset = when they were struck), sorted by channel and pitch."""
        with self._lock:
            return [live.item.note for _, live in sorted(self._sounding.items())]

    def pending(self) -> list[Note]:
        """Notes scheduled and not yet struck (the plan the stage page draws ahead of now), by onset. O(n)."""
        with self._lock:
            notes = [item.note for item in self._pending.values()]
        notes.sort(key=lambda n: (n.onset, n.pitch))
        return notes

    def busy_until(self, generations: Container[int] | None = None, since: int = 0) -> float | None:
        """The latest end of any pending or sounding note (of `generations`, if given, and of
        generation ids >= `since`), or None. O(n)."""
        with self._lock:
            items = [live.item for live in self._sounding.values()] + list(self._pending.values())
            ends = [
                i.note.end
                for i in items
                if i.generation >= since and (generations is None or i.generation in generations)
            ]
            return max(ends) if ends else None

    def take_finished(self) -> list[Note]:
        """AI notes as actually played (cut short by re-strikes or cancels), since the last call."""
        with self._lock:
            notes = list(self._finished)
            self._finished.clear()
            return notes

    def size(self) -> int:
        """Queued entries (including stale ones not yet popped) — bounded by pending + sounding."""
        with self._lock:
            return len(self._heap)

    def pending_count(self) -> int:
        """Note-ons not yet released."""
        with self._lock:
            return len(self._pending)
