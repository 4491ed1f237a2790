"""Seed tables learnt from MIDI files or music21's bundled corpus, cached on disk.

Sources (`markov: seed:` in a piece):
- a MIDI file or a folder of them (`.mid`/`.midi`), relative to the piece's folder; drums (channel 10)
  are skipped, all other channels are merged into one stream of events;
- `corpus:bach`: the Bach chorales (`music21.corpus.chorales.Iterator()`), the first
  `DEFAULT_CORPUS_LIMIT` of the 371 unless a count is given: `corpus:bach:100`;
- `corpus:NAME`: a music21 composer (`corpus.getComposer(NAME)`) or a single corpus path
  (`corpus:essenFolksong/han1`), again at most `DEFAULT_CORPUS_LIMIT` works unless `:N` is given.
Parsing is slow (≈0.2 s a chorale), so the learnt table is cached as JSON under `cache_dir()`, keyed
by the sources (with each file's size and modification time), the order and the format version.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conductor.backends.base import ModelError
from conductor.backends.markov.events import cluster, encode_all
from conductor.backends.markov.table import CountTable
from conductor.core.cache import cache_root
from conductor.core.events import Note
from conductor.core.inputfile import InputFileError
from conductor.core.midifile import read_midi
from conductor.core.timebase import Timebase

log = logging.getLogger(__name__)

DEFAULT_CORPUS_LIMIT = 40
SEED_MAX_CONTEXTS = 200_000
SEED_TB = Timebase(bpm=60.0)  # seed notes are timed in beats: one second per beat
CACHE_VERSION = 1
DRUM_CHANNEL = 9


@dataclass(frozen=True, slots=True)
class SeedSource:
    """One resolved seed: a list of MIDI files, or a corpus name with a work limit."""

    kind: str  # "midi" | "corpus"
    name: str
    files: tuple[Path, ...] = ()
    limit: int = DEFAULT_CORPUS_LIMIT

    def fingerprint(self) -> list[Any]:
        """What the cache key depends on."""
        stats = [[str(f), f.stat().st_size, f.stat().st_mtime_ns] for f in self.files]
        return [self.kind, self.name, self.limit, stats]


def cache_dir() -> Path:
    """The seed tables: `markov/` in the one cache root (`conductor.core.cache`)."""
    return cache_root() / "markov"


def resolve(source: str, base_dir: Path) -> SeedSource:
    """Parse one `seed:` entry. Raises ModelError naming the entry when it cannot be used."""
    if source.startswith("corpus:"):
        name, _, count = source[len("corpus:") :].partition(":")
        if not name or (count and not count.isdigit()):
            raise ModelError(f"markov seed {source!r}: expected corpus:NAME or corpus:NAME:COUNT")
        return SeedSource("corpus", name, limit=int(count) if count else DEFAULT_CORPUS_LIMIT)
    path = Path(source) if Path(source).is_absolute() else base_dir / source
    if path.is_dir():
        files = tuple(sorted(p for p in path.iterdir() if p.suffix.lower() in (".mid", ".midi")))
    elif path.is_file():
        files = (path.resolve(),)
    else:
        raise ModelError(f"markov seed {source!r}: no such MIDI file or folder ({path})")
    if not files:
        raise ModelError(f"markov seed {source!r}: the folder {path} holds no .mid files")
    return SeedSource("midi", str(path.resolve()), files=files)


def seed_table(sources: Sequence[str], order: int, base_dir: Path, cache: Path | None = None) -> CountTable:
    """The count table learnt from `sources`, from the cache when it is there."""
    resolved = [resolve(s, base_dir) for s in sources]
    key = json.dumps([CACHE_VERSION, order, [s.fingerprint() for s in resolved]])
    path = (cache or cache_dir()) / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"
    if path.is_file():
        try:
            return CountTable.from_json(json.loads(path.read_text()))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable markov seed cache %s: %s", path, exc)
    table = CountTable(order, max_contexts=SEED_MAX_CONTEXTS)
    for source in resolved:
        for notes in _pieces(source):
            table.learn_sequence(encode_all(cluster(notes), SEED_TB))
    _write(path, table)
    return table


def _write(path: Path, table: CountTable) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(table.to_json(), separators=(",", ":")))
        tmp.replace(path)
    except OSError as exc:  # a read-only home must not stop the gig
        log.warning("cannot cache markov seed table at %s: %s", path, exc)


def _pieces(source: SeedSource) -> Iterator[list[Note]]:
    if source.kind == "midi":
        for f in source.files:
            yield midi_notes(f)
    else:
        for score in corpus_scores(source.name, source.limit):
            yield score_notes(score)


def midi_notes(path: Path) -> list[Note]:
    """Every non-drum note of a MIDI file, timed in beats. Raises ModelError (one line naming the file)
    if it cannot be read (`conductor.core.midifile.read_midi`)."""
    import mido

    try:
        read = read_midi(path)
    except InputFileError as exc:
        raise ModelError(f"markov seed {exc}") from exc
    for warning in read.warnings:
        log.warning("markov seed %s", warning)
    mid = read.midi
    tpb, tick = mid.ticks_per_beat, 0
    sounding: dict[tuple[int, int], list[tuple[int, int]]] = {}
    out: list[Note] = []
    for msg in mido.merge_tracks(mid.tracks):
        tick += msg.time
        if msg.type not in ("note_on", "note_off") or msg.channel == DRUM_CHANNEL:
            continue
        key = (msg.channel, msg.note)
        if msg.type == "note_on" and msg.velocity > 0:
            sounding.setdefault(key, []).append((tick, msg.velocity))
        elif sounding.get(key):
            start, vel = sounding[key].pop(0)
            out.append(Note(start / tpb, (tick - start) / tpb, msg.note, vel, msg.channel))
    return out


def corpus_scores(name: str, limit: int) -> Iterator[Any]:
    """Up to `limit` parsed music21 scores: Bach chorales, a composer's works, or one corpus path."""
    from music21 import corpus

    try:
        if name == "bach":
            works: Iterator[Any] = iter(corpus.chorales.Iterator())
        elif paths := corpus.getComposer(name):
            works = (corpus.parse(p) for p in paths)
        else:
            parsed = corpus.parse(name)
            works = iter(getattr(parsed, "scores", None) or [parsed])
        for i, score in enumerate(works):
            if i >= limit:
                return
            yield score
    except Exception as exc:  # music21 raises many types for a bad name or file
        raise ModelError(f"markov seed corpus:{name}: music21 cannot load it ({exc})") from exc


def score_notes(score: Any) -> list[Note]:
    """The notes of a music21 score, timed in beats (quarter notes); tie continuations are skipped."""
    out: list[Note] = []
    for el in score.flatten().notes:
        if el.tie is not None and el.tie.type in ("stop", "continue"):
            continue
        velocity = el.volume.velocity or 80
        for p in el.pitches:
            if 0 <= p.midi <= 127:
                out.append(Note(float(el.offset), float(el.duration.quarterLength), p.midi, velocity))
    return out
