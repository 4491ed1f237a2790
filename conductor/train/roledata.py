"""The role corpus: ``--data roles:bach,essen,...`` (or ``corpus:roles`` for every collection).

Each collection's files are parsed once into `Work`s (`conductor.train.parts`, worker processes,
cached); every work gives its role pairs (`conductor.train.pairs`); every pair is cut into windows
that fit one training block, and each window is tokenised with the role format's own
`role_rows` — the rows the live backend makes. The windows of all works go into one token cache
(`.npz`, as `conductor.train.data`), named ``collection/work | role | first-end bar``: the held-out
split keeps every window of a work on one side (`piece_group`).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from conductor.backends.skytnt import roles
from conductor.train.batching import piece_group
from conductor.train.data import Corpus, DataError, Progress, read_cache, stack, write_cache
from conductor.train.pairs import SEPARATOR, pairs_of, window_score, windows
from conductor.train.parts import Work, cached_parse

log = logging.getLogger(__name__)
ROLEDATA_FORMAT = 1
HEADER_ROWS = 8  # BOS, time signature, tempo, two patches, two key signatures, EOS
Files = list[tuple[str, str]]  # (corpus path, label)

_RENAISSANCE = ("monteverdi", "josquin", "trecento", "ciconia", "luca", "lusitano")
_CLASSICAL = (
    "beethoven", "mozart", "haydn", "schumann_robert", "schumann_clara", "schubert", "chopin",
    "joplin", "beach", "handel", "corelli", "cpebach", "weber", "verdi", "liliuokalani", "johnson_j_r",
)  # fmt: skip
FOLDERS: dict[str, tuple[str, ...]] = {
    "palestrina": ("palestrina",),
    "renaissance": _RENAISSANCE,
    "classical": _CLASSICAL,
    "essen": ("essenFolksong",),
    "oneill": ("oneills1850",),
    "ryans": ("ryansMammoth",),
    "nottingham": ("nottingham-dataset",),
    "airds": ("airdsAirs", "miscFolk"),
}
COLLECTIONS = ("bach", *FOLDERS)
SCORE_SUFFIXES = (".mxl", ".xml", ".musicxml", ".krn", ".abc", ".mid")


def collections_of(source: str) -> list[str]:
    """The collections ``roles:a,b`` (or ``corpus:roles``, ``roles:all``) names; DataError if unknown."""
    spec = "all" if source == "corpus:roles" else source.removeprefix("roles:")
    names = list(COLLECTIONS) if spec in ("", "all") else [s.strip().lower() for s in spec.split(",")]
    unknown = [n for n in names if n not in COLLECTIONS]
    if unknown:
        raise DataError(
            f"training data {source!r}: unknown collection {unknown[0]!r}; expected roles:all or a "
            f"comma list of {', '.join(COLLECTIONS)}"
        )
    return names


def collection_files(name: str) -> Files:
    """(path, label) of every score file of a collection in music21's corpus."""
    from music21 import corpus

    if name == "bach":
        paths = dict.fromkeys(str(p) for p in corpus.chorales.Iterator(returnType="filename"))
        return [(p, p) for p in paths]  # the iterator names some chorales twice
    chosen: dict[str, Path] = {}  # one file per (folder, stem): the same movement as .krn and .mxl
    for folder in FOLDERS[name]:
        for path in sorted(Path(p) for p in corpus.getComposer(folder)):
            rank = SCORE_SUFFIXES.index(path.suffix.lower()) if path.suffix.lower() in SCORE_SUFFIXES else -1
            key = str(path.with_suffix(""))
            if rank >= 0 and (key not in chosen or rank < SCORE_SUFFIXES.index(chosen[key].suffix.lower())):
                chosen[key] = path
    return [(str(p), _corpus_label(p)) for p in sorted(chosen.values())]


def _corpus_label(path: Path) -> str:
    """A file's path inside music21's corpus (unique: movement1.mxl exists in many opus folders)."""
    if "corpus" not in path.parts:
        return path.name
    root = len(path.parts) - 1 - path.parts[::-1].index("corpus")  # the last "corpus" folder
    return "/".join(path.parts[root + 1 :])


def load_works(
    source: str, cache_dir: Path, progress: Progress | None = None, workers: int = 2
) -> tuple[list[Work], list[str]]:
    """The works of a role source (named ``collection:file``) and the files skipped, with reasons."""
    works: list[Work] = []
    skipped: list[str] = []
    for name in collections_of(source):
        parsed = cached_parse(name, collection_files(name), cache_dir, workers, progress)
        works += [Work(f"{name}:{w.name}", w.parts, w.bars, w.meter) for w in parsed.works]
        skipped += parsed.skipped
    return works, skipped


def cache_path(source: str, tokenizer: str, cache_dir: Path, block: int) -> Path:
    """The token cache file of a role source (keyed by its collections, formats, tokenizer, block)."""
    names = collections_of(source)
    key = hashlib.sha1(f"{ROLEDATA_FORMAT}|{roles.FORMAT_VERSION}|{tokenizer}|{block}|{names}".encode())
    return cache_dir / f"roles-{'_'.join(names)[:40]}-{tokenizer}-{block}-{key.hexdigest()[:12]}.npz"


def load_roles(
    source: str,
    tokenizer: str,
    cache_dir: Path,
    block: int = 256,
    progress: Progress | None = None,
    workers: int = 2,
) -> Corpus:
    """The role corpus for ``source``, windows of at most ``block + 1`` rows (cached)."""
    path = cache_path(source, tokenizer, cache_dir, block)
    if path.exists():
        log.info("token cache hit: %s", path)
        return read_cache(path)
    works, skipped = load_works(source, cache_dir, progress, workers)
    corpus = tokenise_works(source, tokenizer, works, block, list(skipped))
    if not len(corpus):
        raise DataError(f"training data {source!r}: no work gave a window with both parts playing")
    write_cache(path, corpus)
    return corpus


def tokenise_works(
    source: str, tokenizer: str, works: Sequence[Work], block: int, skipped: list[str]
) -> Corpus:
    """Every window of every role pair of ``works`` as token rows (at most ``block + 1`` per window)."""
    from conductor.backends.skytnt.tokenizer import get_tokenizer

    tok = get_tokenizer(tokenizer)
    names: list[str] = []
    pieces: list[np.ndarray] = []
    for work in works:
        found = work_windows(work, tok, block)
        if not found:
            skipped.append(f"{work.name}: no window with both parts playing")
        names += [name for name, _ in found]
        pieces += [rows for _, rows in found]
    return stack(source, tokenizer, names, pieces, skipped, int(tok.max_token_seq))


def work_windows(work: Work, tok: Any, block: int) -> list[tuple[str, np.ndarray]]:
    """(name, rows) of every window of every role pair of one work."""
    out = []
    for pair in pairs_of(work):
        for a, b in windows(pair, block + 1 - HEADER_ROWS):
            rows = roles.role_rows(tok, window_score(pair, a, b), eos=b == len(pair.bars) - 1)
            out.append((f"{pair.name}{SEPARATOR}{a}-{b}", np.asarray(rows[: block + 1], dtype=np.int16)))
    return out


def describe(corpus: Corpus) -> dict[str, object]:
    """Counts for the model card: works, windows per role and per collection, skip reasons."""
    roles_count = Counter(n.split(SEPARATOR)[1] for n in corpus.names if SEPARATOR in n)
    collections = Counter(n.split(":", 1)[0] for n in {piece_group(n) for n in corpus.names})
    reasons = Counter(s.split(": ", 1)[-1].split(":")[0] for s in corpus.skipped)
    return {
        "works": len({piece_group(n) for n in corpus.names}),
        "windows": len(corpus),
        "windows per role": dict(roles_count),
        "works per collection": dict(collections),
        "skipped": dict(reasons),
    }
