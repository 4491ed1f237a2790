"""music21's corpus as plain parts: notes per part, bar lines and meter, parsed by worker processes
and cached, so the role data (`conductor.train.pairs`) can be rebuilt without parsing again.

A `Work` is one piece of music: its parts (each a tuple of `PartNote`, ticks at 480 per quarter note
from the first bar line), its bar lines (ticks; a pickup bar starts before 0) and its first meter and
tempo. One corpus file may hold many works (an ABC book). Parsing runs in a process pool (music21 is
pure Python: about 25 ms per folk tune, 0.1-3 s per chorale or movement here); the works of a
collection are cached as one gzip'd JSON file keyed by music21's version and the file list. A file
music21 cannot parse is skipped and reported with its reason, never fatal.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conductor.backends.skytnt.roles import TICKS_PER_BEAT, Meter, PartNote

log = logging.getLogger(__name__)
PARTS_FORMAT = 1
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Work:
    """One piece: its parts, bar lines (ticks) and meter."""

    name: str
    parts: tuple[tuple[PartNote, ...], ...]
    bars: tuple[int, ...]
    meter: Meter

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (`from_json` reads it back)."""
        m = self.meter
        return {
            "name": self.name,
            "parts": [[list(n) for n in part] for part in self.parts],
            "bars": list(self.bars),
            "meter": [m.tempo_us, m.beats_per_bar, m.beat_unit],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Work:
        """The work `to_json` wrote."""
        parts = tuple(tuple(PartNote(*n) for n in part) for part in d["parts"])
        return cls(str(d["name"]), parts, tuple(int(b) for b in d["bars"]), Meter(*d["meter"]))


@dataclass(frozen=True)
class Parsed:
    """The works of some corpus files, and the files skipped with their reasons."""

    works: tuple[Work, ...]
    skipped: tuple[str, ...]  # "file: reason"


# ---------------------------------------------------------------- music21 → Work


def work_from_music21(score: Any, name: str) -> Work | None:
    """A music21 score as a `Work` (None when it holds no notes). Ties merged, chords kept."""
    parts = tuple(p for p in (_part_notes(part) for part in score.parts) if p)
    if not parts:
        return None
    first = score.parts[0]
    return Work(name, parts, _bar_lines(first), _meter(score, first))


def _part_notes(part: Any) -> tuple[PartNote, ...]:
    notes: list[PartNote] = []
    for element in part.stripTies().flatten().notes:
        start = round(float(element.offset) * TICKS_PER_BEAT)
        dur = max(1, round(float(element.quarterLength) * TICKS_PER_BEAT))
        vel = int(element.volume.velocity or 80)
        notes += [PartNote(start, dur, int(p.midi), vel) for p in element.pitches]
    return tuple(sorted(notes))


def _bar_lines(part: Any) -> tuple[int, ...]:
    from music21 import stream

    bars = []
    for i, m in enumerate(part.getElementsByClass(stream.Measure)):
        offset = float(m.offset) - (float(m.paddingLeft or 0) if i == 0 else 0.0)
        bars.append(round(offset * TICKS_PER_BEAT))
    return tuple(bars)


def _meter(score: Any, part: Any) -> Meter:
    from music21 import meter

    sigs = list(part.recurse().getElementsByClass(meter.TimeSignature))
    nn, unit = (int(sigs[0].numerator), int(sigs[0].denominator)) if sigs else (4, 4)
    if unit not in (1, 2, 4, 8, 16) or not 1 <= nn <= 16:
        nn, unit = 4, 4
    marks = score.metronomeMarkBoundaries()
    bpm = marks[0][2].getQuarterBPM() if marks else None
    return Meter(int(60_000_000 / (bpm or 120.0)), nn, max(2, unit))


def parse_file(path: str, label: str) -> tuple[list[dict[str, Any]], str | None]:
    """(works as JSON dicts, None) or ([], reason). Runs in a worker process."""
    from music21 import corpus, stream

    try:
        parsed = corpus.parse(path)
        scores = list(parsed.scores) if isinstance(parsed, stream.Opus) else [parsed]
        works = []
        for i, s in enumerate(scores):
            work = work_from_music21(s, f"{label}#{i}" if len(scores) > 1 else label)
            if work is not None:
                works.append(work.to_json())
    except Exception as exc:  # music21 raises many kinds; one bad file never stops the rest
        return [], f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return works, None if works else "no notes"


# ---------------------------------------------------------------- pool + cache


def parse_files(
    files: Sequence[tuple[str, str]], workers: int = 2, progress: Progress | None = None
) -> Parsed:
    """Parse (path, label) files in `workers` processes (1: in this process), in file order."""
    paths, labels = [p for p, _ in files], [label for _, label in files]
    if workers <= 1:
        return _gather(map(parse_file, paths, labels), files, progress)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return _gather(pool.map(parse_file, paths, labels, chunksize=4), files, progress)


def _gather(
    results: Iterator[tuple[list[dict[str, Any]], str | None]],
    files: Sequence[tuple[str, str]],
    progress: Progress | None,
) -> Parsed:
    works: list[Work] = []
    skipped: list[str] = []
    for done, ((found, reason), (_, label)) in enumerate(zip(results, files, strict=True), 1):
        works += [Work.from_json(w) for w in found]
        if reason is not None:
            log.warning("skipped %s: %s", label, reason)
            skipped.append(f"{label}: {reason}")
        if progress:
            progress(done, len(files))
    return Parsed(tuple(works), tuple(skipped))


def cached_parse(
    key_name: str,
    files: Sequence[tuple[str, str]],
    cache_dir: Path,
    workers: int = 2,
    progress: Progress | None = None,
) -> Parsed:
    """`parse_files`, or its result from ``cache_dir/parts`` when these files were parsed before."""
    import music21

    h = hashlib.sha1(f"{PARTS_FORMAT}|{music21.__version__}|{key_name}".encode())
    h.update("|".join(label for _, label in files).encode())
    path = cache_dir / "parts" / f"{key_name}-{h.hexdigest()[:16]}.json.gz"
    if path.exists():
        log.info("parsed-parts cache hit: %s", path)
        data = json.loads(gzip.decompress(path.read_bytes()))
        return Parsed(tuple(Work.from_json(w) for w in data["works"]), tuple(data["skipped"]))
    parsed = parse_files(files, workers, progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    payload = {"works": [w.to_json() for w in parsed.works], "skipped": list(parsed.skipped)}
    tmp.write_bytes(gzip.compress(json.dumps(payload).encode()))
    tmp.replace(path)
    return parsed
