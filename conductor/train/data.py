"""Training data: MIDI folders, take folders and music21's bundled corpus, tokenised once into a cache.

A source is a folder (searched recursively for ``.mid``/``.midi``; a take folder is a folder of takes),
``corpus:NAME`` for music21's corpus, or ``roles:...`` for music21's corpus as role pairs
(`conductor.train.roledata`), all offline. Every piece is converted to a SkyTNT score
(``[ticks_per_beat, track...]``), tokenised with the chosen tokenizer (in worker processes), and
stored in memory-mapped shards with a manifest (`conductor.train.shards`), keyed by the source, its
files and the tokenizer; the role corpus keeps one ``.npz``. A file that cannot be read, or that holds
no notes, is skipped and counted with its reason, never fatal.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from conductor.core.cache import cache_root
from conductor.train.rows import ShardedRows

log = logging.getLogger(__name__)

CACHE_FORMAT = 1
TICKS_PER_BEAT = 480
MIDI_SUFFIXES = (".mid", ".midi")
# corpus:NAME aliases → music21 corpus folders (anything else is tried as a composer/folder name)
CORPUS_ALIASES = {
    "essen": "essenFolksong",
    "oneill": "oneills1850",
    "oneills": "oneills1850",
    "ryans": "ryansMammoth",
    "ryansmammoth": "ryansMammoth",
}

Score = list[Any]  # SkyTNT score: [ticks_per_beat, track, ...]; events are lists
Loader = Callable[[], list[tuple[str, Score]]]  # one file → its pieces (an ABC book holds many)
Progress = Callable[[int, int], None]  # (items done, items total)


class DataError(ValueError):
    """Raised by `load_corpus` for a source that names nothing usable (no files, unknown corpus)."""


@dataclass(frozen=True)
class Corpus:
    """Tokenised pieces: the rows of piece i are ``rows[offsets[i]:offsets[i + 1]]``."""

    source: str
    tokenizer: str
    names: tuple[str, ...]
    rows: np.ndarray | ShardedRows  # (total_rows, max_token_seq) int16; shards are memory-mapped
    offsets: np.ndarray  # (pieces + 1,) int64
    skipped: tuple[str, ...]  # "file: reason" for each file skipped: unreadable, empty or untokenisable

    def __len__(self) -> int:
        return len(self.names)

    def piece(self, index: int) -> np.ndarray:
        """The token rows of one piece (BOS and EOS rows included)."""
        return self.rows[self.offsets[index] : self.offsets[index + 1]]

    @property
    def events(self) -> int:
        """Rows over all pieces."""
        return int(self.rows.shape[0])


def default_cache_dir() -> Path:
    """The token caches: `tokens/` in the one cache root (`conductor.core.cache`)."""
    return cache_root() / "tokens"


# ---------------------------------------------------------------- sources


def list_items(source: str) -> list[tuple[str, Loader]]:
    """The files a source names, each with a loader that returns its pieces as scores."""
    if source.startswith("corpus:"):
        return _corpus_items(source.removeprefix("corpus:"))
    folder = Path(source).expanduser()
    if not folder.is_dir():
        raise DataError(f"training data {source!r}: not a folder and not corpus:NAME (e.g. corpus:bach)")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in MIDI_SUFFIXES and p.is_file())
    if not files:
        raise DataError(f"training data {source!r}: no .mid or .midi files in that folder")
    return [(str(p.relative_to(folder)), _midi_loader(p)) for p in files]


def _midi_loader(path: Path) -> Loader:
    def load() -> list[tuple[str, Score]]:
        from conductor.backends.skytnt import midi_score

        return [(path.name, midi_score.read_score(path))]

    return load


def _corpus_items(name: str) -> list[tuple[str, Loader]]:
    from music21 import corpus

    if name.lower() in ("bach", "chorales", "bach-chorales"):
        names = list(corpus.chorales.Iterator(returnType="filename"))
        return [(str(n), _music21_loader(str(n))) for n in names]
    folder = CORPUS_ALIASES.get(name.lower(), name)
    paths = sorted(corpus.getComposer(folder))
    if not paths:
        raise DataError(
            f"corpus:{name}: music21's corpus has nothing by that name; try corpus:bach, corpus:essen, "
            "corpus:oneill or corpus:ryansMammoth"
        )
    return [(f"{folder}/{Path(p).name}", _music21_loader(str(p), f"{folder}/{Path(p).name}")) for p in paths]


def _music21_loader(work: str, name: str | None = None) -> Loader:
    def load() -> list[tuple[str, Score]]:
        from music21 import corpus, stream

        parsed = corpus.parse(work)
        label = name or work
        if isinstance(parsed, stream.Opus):
            return [(f"{label}#{i}", music21_score(s)) for i, s in enumerate(parsed.scores)]
        return [(label, music21_score(parsed))]

    return load


def music21_score(work: Any, velocity: int = 80, program: int = 0) -> Score:
    """A music21 score as a SkyTNT score: one track and channel per part (at most 16, drums skipped).

    Tied notes are merged; the first metronome mark gives the tempo (120 bpm without one).
    """
    tracks: list[list[Any]] = [[["set_tempo", 0, _tempo_us(work)]]]
    channels = [c for c in range(16) if c != 9]
    for channel, part in zip(channels, work.parts, strict=False):
        track: list[Any] = [["patch_change", 0, channel, program]]
        for element in part.stripTies().flatten().notes:
            start = round(float(element.offset) * TICKS_PER_BEAT)
            dur = max(1, round(float(element.quarterLength) * TICKS_PER_BEAT))
            vel = element.volume.velocity or velocity
            for pitch in element.pitches:
                track.append(["note", start, dur, channel, int(pitch.midi), int(vel)])
        tracks.append(track)
    return [TICKS_PER_BEAT, *tracks]


def _tempo_us(work: Any) -> int:
    marks = work.metronomeMarkBoundaries()
    bpm = marks[0][2].getQuarterBPM() if marks else None
    return int(60_000_000 / (bpm or 120.0))


# ---------------------------------------------------------------- tokenise + cache


def cache_key(source: str, tokenizer: str, items: list[str]) -> str:
    """A key for the cache file: the source, its file list (with sizes for folders) and the tokenizer."""
    h = hashlib.sha1(f"{CACHE_FORMAT}|{tokenizer}|{source}".encode())
    if not source.startswith("corpus:"):
        root = Path(source).expanduser()
        for name in items:
            st = (root / name).stat()
            h.update(f"|{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    else:
        h.update("|".join(items).encode())
    return h.hexdigest()[:16]


def is_roles_source(source: str) -> bool:
    """True for the role corpus (``roles:...`` or ``corpus:roles``, see `conductor.train.roledata`)."""
    return source.startswith("roles:") or source == "corpus:roles"


def load_corpus(
    source: str,
    tokenizer: str = "v2o",
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    block: int = 256,
    workers: int = 1,
) -> Corpus:
    """Tokenise a source (or read it from the cache); corrupt or empty files are skipped and counted.

    The role corpus is cut into windows of at most ``block + 1`` rows; other sources ignore ``block``
    and are tokenised by ``workers`` processes into a sharded cache (`conductor.train.shards`).
    """
    if is_roles_source(source):
        from conductor.train.roledata import load_roles

        return load_roles(source, tokenizer, cache_dir or default_cache_dir(), block, progress)
    from conductor.train.shards import load_shards

    return load_shards(source, tokenizer, cache_dir or default_cache_dir(), workers, progress)


def tokenise_items(
    source: str, tokenizer: str, items: list[tuple[str, Loader]], progress: Progress | None = None
) -> Corpus:
    """Tokenise every piece of every item; a failing or empty item is skipped, logged and counted."""
    from conductor.backends.skytnt.tokenizer import get_tokenizer

    tok = get_tokenizer(tokenizer)
    names: list[str] = []
    pieces: list[np.ndarray] = []
    skipped: list[str] = []
    for done, (name, load) in enumerate(items, 1):
        for piece_name, rows in _tokenise_item(name, load, tok, skipped):
            names.append(piece_name)
            pieces.append(rows)
        if progress:
            progress(done, len(items))
    return stack(source, tokenizer, names, pieces, skipped, int(tok.max_token_seq))


def stack(
    source: str, tokenizer: str, names: list[str], pieces: list[np.ndarray], skipped: list[str], width: int
) -> Corpus:
    """One `Corpus` from the token rows of each piece."""
    rows = np.concatenate(pieces) if pieces else np.zeros((0, width), np.int16)
    offsets = np.concatenate([[0], np.cumsum([len(p) for p in pieces])]).astype(np.int64)
    return Corpus(source, tokenizer, tuple(names), rows, offsets, tuple(skipped))


def _tokenise_item(name: str, load: Loader, tok: Any, skipped: list[str]) -> Iterator[tuple[str, np.ndarray]]:
    try:
        scores = load()
    except Exception as exc:  # a corrupt file must never stop training
        _skip(skipped, name, f"unreadable: {_first_line(exc)}")
        return
    for piece_name, score in scores:
        try:
            rows = np.asarray(tok.tokenize(score), dtype=np.int16)
        except Exception as exc:
            _skip(skipped, piece_name, f"cannot tokenise: {_first_line(exc)}")
            continue
        if rows.ndim != 2 or not np.any(rows[:, 0] == tok.event_ids["note"]):
            _skip(skipped, piece_name, "no notes")
            continue
        yield piece_name, rows


def _skip(skipped: list[str], name: str, reason: str) -> None:
    log.warning("skipped %s: %s", name, reason)
    skipped.append(f"{name}: {reason}")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def write_cache(path: Path, corpus: Corpus) -> None:
    """Store a corpus as one ``.npz`` (written to a temporary name, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp,
        rows=corpus.rows,
        offsets=corpus.offsets,
        names=np.array(corpus.names, dtype=str),
        skipped=np.array(corpus.skipped, dtype=str),
        meta=np.array([corpus.source, corpus.tokenizer], dtype=str),
    )
    tmp.replace(path)


def read_cache(path: Path) -> Corpus:
    """A corpus written by `write_cache`."""
    with np.load(path, allow_pickle=False) as z:
        source, tokenizer = (str(x) for x in z["meta"])
        return Corpus(
            source,
            tokenizer,
            tuple(str(n) for n in z["names"]),
            z["rows"],
            z["offsets"],
            tuple(str(n) for n in z["skipped"]),
        )


def merge(corpora: list[Corpus]) -> Corpus:
    """One corpus holding the pieces of several (names prefixed by their source when there are many)."""
    if len(corpora) == 1:
        return corpora[0]
    names = tuple(f"{c.source}:{n}" for c in corpora for n in c.names)
    plain = [c.rows for c in corpora if isinstance(c.rows, np.ndarray)]
    rows: np.ndarray | ShardedRows = (
        np.concatenate(plain) if len(plain) == len(corpora) else ShardedRows.of([c.rows for c in corpora])
    )
    starts = np.cumsum([0] + [c.events for c in corpora])
    offsets = np.concatenate([[0]] + [c.offsets[1:] + s for c, s in zip(corpora, starts, strict=False)])
    skipped = tuple(f"{c.source}:{n}" for c in corpora for n in c.skipped)
    source = " + ".join(c.source for c in corpora)
    return Corpus(source, corpora[0].tokenizer, names, rows, offsets.astype(np.int64), skipped)
