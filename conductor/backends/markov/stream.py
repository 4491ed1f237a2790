"""Online learning from notes as they are played.

Notes reach `observe` when they end, so a long note can arrive after shorter ones that started later.
Each source (human, AI) keeps its own small reorder buffer: a chord is committed once notes have
been heard starting `REORDER_S` after it. A note that arrives later than that is counted as late and
not learnt (it still sounds and still reaches the engine's memory). Rhythm is learnt in beats, so
clusters wait (bounded) until the model knows the piece's tempo.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from conductor.backends.markov.events import CHORD_WINDOW_S, Cluster, EventKey, cluster, encode
from conductor.backends.markov.table import CountTable, key_from_json, key_to_json
from conductor.core.events import Note, Source
from conductor.core.timebase import Timebase

REORDER_S = 1.0  # a chord is final once a note starting this much later has been heard
MAX_WAITING = 4096  # clusters kept while the tempo is unknown (oldest dropped)


@dataclass(slots=True)
class _Stream:
    """One source's learning state."""

    history: deque[EventKey]
    pending: list[Note] = field(default_factory=list)
    waiting: deque[Cluster] = field(default_factory=lambda: deque(maxlen=MAX_WAITING))
    last: Cluster | None = None
    newest: float = float("-inf")
    committed: float = float("-inf")  # notes starting at or before this come too late


class OnlineLearner:
    """Feeds a `CountTable` from notes in completion order. Not thread-safe."""

    def __init__(self, table: CountTable, timebase: Timebase | None = None) -> None:
        self.table = table
        self.timebase = timebase
        self.late = 0  # notes that arrived too late to be learnt
        self._streams: dict[Source, _Stream] = {}

    def add(self, notes: Iterable[Note]) -> None:
        """Buffer notes and learn every chord that can no longer change."""
        touched: set[Source] = set()
        for note in notes:
            stream = self._stream(note.source)
            if note.onset <= stream.committed:
                self.late += 1
                continue
            stream.pending.append(note)
            stream.newest = max(stream.newest, note.onset)
            touched.add(note.source)
        for source in touched:
            stream = self._streams[source]
            self._commit(stream, stream.newest - REORDER_S)

    def flush(self) -> None:
        """Learn everything buffered (before a generation: the context is final enough)."""
        for stream in self._streams.values():
            self._commit(stream, float("inf"))

    def new_take(self) -> None:
        """Start a new performance on a loaded model: the tables go on, the take's clock restarts.

        Everything buffered is learnt (or parked until a tempo is known); the old take's time marks
        are forgotten, since they would turn every note of the new take (from t = 0) away as late;
        and unless clusters still wait for a tempo, the chain of events is cut, so the old take's
        last events do not become the context of the new take's first ones.
        """
        for stream in self._streams.values():
            self._commit(stream, float("inf"))
            stream.newest = stream.committed = float("-inf")
            if not stream.waiting:
                stream.last = None
                stream.history.clear()

    def set_timebase(self, timebase: Timebase) -> None:
        """Use this tempo from now on; learn the clusters that were waiting for one."""
        self.timebase = timebase
        for stream in self._streams.values():
            while stream.waiting:
                self._learn(stream, stream.waiting.popleft(), timebase)

    def _stream(self, source: Source) -> _Stream:
        if source not in self._streams:
            self._streams[source] = _Stream(history=deque(maxlen=max(1, self.table.order)))
        return self._streams[source]

    def _commit(self, stream: _Stream, horizon: float) -> None:
        if not stream.pending:
            return
        clusters = cluster(stream.pending)
        ready = [c for c in clusters if c.onset < horizon - CHORD_WINDOW_S]
        if not ready:
            return
        cut = ready[-1].onset + CHORD_WINDOW_S
        stream.pending = [n for n in stream.pending if n.onset > cut]
        stream.committed = cut
        for c in ready:
            if self.timebase is None:
                stream.waiting.append(c)
            else:
                self._learn(stream, c, self.timebase)

    def _learn(self, stream: _Stream, current: Cluster, tb: Timebase) -> None:
        if stream.last is not None:
            key = encode(current, stream.last, tb)
            self.table.learn(list(stream.history), key)
            stream.history.append(key)
        stream.last = current

    def to_json(self) -> dict[str, Any]:
        """The per-source state (buffers, last event, context), JSON-ready, to continue after a load."""
        return {
            "late": self.late,
            "streams": {src.value: _stream_json(st) for src, st in self._streams.items()},
        }

    def load_json(self, data: dict[str, Any]) -> None:
        """Restore what `to_json` wrote (the table is restored separately)."""
        self.late = int(data["late"])
        for name, st in data["streams"].items():
            stream = self._stream(Source(name))
            stream.history.extend(key_from_json(k) for k in st["history"])
            stream.pending = [_note_from_json(n) for n in st["pending"]]
            stream.waiting.extend(_cluster_from_json(c) for c in st["waiting"])
            stream.last = None if st["last"] is None else _cluster_from_json(st["last"])
            stream.newest, stream.committed = float(st["newest"]), float(st["committed"])


def _stream_json(st: _Stream) -> dict[str, Any]:
    return {
        "history": [key_to_json(k) for k in st.history],
        "pending": [
            [n.onset, n.duration, n.pitch, n.velocity, n.channel, n.source.value] for n in st.pending
        ],
        "waiting": [_cluster_json(c) for c in st.waiting],
        "last": None if st.last is None else _cluster_json(st.last),
        "newest": st.newest,
        "committed": st.committed,
    }


def _cluster_json(c: Cluster) -> list[Any]:
    return [c.onset, list(c.pitches), c.duration, c.velocity]


def _cluster_from_json(c: list[Any]) -> Cluster:
    return Cluster(float(c[0]), tuple(int(p) for p in c[1]), float(c[2]), int(c[3]))


def _note_from_json(n: list[Any]) -> Note:
    return Note(float(n[0]), float(n[1]), int(n[2]), int(n[3]), int(n[4]), Source(n[5]))
