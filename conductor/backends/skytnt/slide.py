"""The next anchor of a sliding context, prefilled in the background while the current one plays.

`SkyTNTModel` keeps its cached context (the *anchor*: a bar-line origin and the notes since) cheap
to extend: a note appended costs its own row. Two things cost the whole window instead: the anchor
outgrowing `max_context` (it must restart from a later bar line) and a note landing far back in the
cached rows (a long note heard at its release, the AI's first note adding its part to the score's
header). `Slide` takes those: it holds the next anchor, hears every note the live one hears, and
fills a spare cache towards its rows (`rebuild.py`) whenever `work()` is called between requests;
`take()` swaps it in once it is complete. Meanwhile generations decode from the live anchor, which
lacks only the far-back notes. Not thread-safe.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from conductor.backends.skytnt.generate import Decoder, Row, common_prefix
from conductor.backends.skytnt.rebuild import Rebuild
from conductor.core.events import Note, sort_notes

Tokenize = Callable[[Sequence[Note], float], tuple[list[list[int]], tuple[int, ...]]]


class Slide:
    """The anchor to come: its origin, its notes and the spare cache filled towards their rows."""

    def __init__(self, decoder: Decoder, tokenize: Tokenize, tail: int = 0) -> None:
        """`tail`: rows at the end of the next anchor left to the live path (`Rebuild`)."""
        self.rebuild = Rebuild(decoder, tail)
        self.origin: float | None = None
        self.notes: list[Note] = []
        self.voices: tuple[int, ...] = ()  # the AI's score channels in the rows targeted
        self._tokenize = tokenize
        self._stale = False  # notes heard since the target rows were made

    @property
    def active(self) -> bool:
        """An anchor is being prepared."""
        return self.origin is not None

    def start(self, origin: float, notes: Sequence[Note]) -> None:
        """Prepare an anchor from bar line `origin` with `notes` (those before it are left out)."""
        self.origin, self.notes, self._stale = origin, [], True
        self.hear(notes)

    def hear(self, notes: Sequence[Note]) -> None:
        """Add heard notes to the anchor being prepared (if any)."""
        if self.origin is not None and notes:
            self.notes = merge(self.notes, [n for n in notes if n.onset >= self.origin])
            self._stale = True

    def work(self, pause: Callable[[], bool]) -> bool:
        """Fill the spare cache towards the anchor's rows until it is complete (True) or `pause()` is
        true (False)."""
        if self.origin is None:
            return False
        if self._stale:
            rows, self.voices = self._tokenize(self.notes, self.origin)
            self.rebuild.target(rows)
            self._stale = False
        return self.rebuild.work(pause)

    def take(self) -> tuple[float, list[Note], tuple[int, ...], bool]:
        """Swap the anchor's cache into the decoder (`work` said it is ready); its origin, notes, AI
        channels, and whether the cache holds all its rows (else the live path prefills the tail)."""
        assert self.origin is not None and self.rebuild.done and not self._stale
        complete = self.rebuild.complete
        self.rebuild.swap()
        taken = (self.origin, self.notes, self.voices, complete)
        self.drop()
        return taken

    def drop(self) -> None:
        """Prepare nothing (the live anchor restarted, or the model closed)."""
        self.origin, self.notes, self._stale = None, [], False
        self.rebuild.drop()


def merge(notes: Sequence[Note], more: Sequence[Note]) -> list[Note]:
    """Both sets of notes in order, one per (onset, channel, pitch): the longest (a held note grows)."""
    out: dict[tuple[float, int, int], Note] = {}
    for note in (*notes, *more):
        key = (round(note.onset, 6), note.channel, note.pitch)
        if key not in out or note.duration > out[key].duration:
            out[key] = note
    return sort_notes(out.values())


def cut(cached: Sequence[Row], rows: Sequence[Sequence[int]]) -> int:
    """Rows a cache that holds `cached` keeps when it is made to hold `rows`."""
    return common_prefix(cached, [tuple(r) for r in rows])


def far(cached: Sequence[Row], rows: Sequence[Sequence[int]], limit: int) -> bool:
    """Whether making a cache that holds `cached` hold `rows` recomputes more than `limit` rows."""
    return len(rows) - cut(cached, rows) > limit
