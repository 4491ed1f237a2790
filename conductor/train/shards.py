"""The token cache that scales: files tokenised by worker processes into memory-mapped shards.

A shard is a fixed run of the source's files (``SHARD_FILES``, in the source's sorted order), so the
shards, and every byte written, are the same whatever the number of workers. Each shard is three
files: ``NNNNN.rows.npy`` (int16 token rows of its pieces, one after another), ``NNNNN.offsets.npy``
(int64, pieces + 1) and ``NNNNN.names.json``. ``manifest.json`` lists them with the counts, the files
skipped and why, the tokenizer and the source hash, and is written last: a folder with a manifest is
complete. The folder is built under a temporary name and renamed, so concurrent builders never see a
half-written cache. Training memory-maps the rows (`ShardedRows`): the corpus is never loaded whole.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from conductor.train.data import (
    Corpus,
    DataError,
    Loader,
    Progress,
    cache_key,
    list_items,
    tokenise_items,
)
from conductor.train.rows import ShardedRows

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
SHARDS_FORMAT = 1
SHARD_FILES = 128  # source files per shard

Job = tuple[str, str, int, int, str]  # (source, tokenizer, first file, end file, shard path prefix)


def cache_folder(source: str, tokenizer: str, cache_dir: Path, names: list[str]) -> Path:
    """The folder of a source's sharded cache: named by the source, the tokenizer and the source hash."""
    slug = "".join(c if c.isalnum() else "_" for c in source)[-40:]
    return cache_dir / f"{slug}-{tokenizer}-{cache_key(source, tokenizer, names)}"


def load_shards(
    source: str, tokenizer: str, cache_dir: Path, workers: int = 1, progress: Progress | None = None
) -> Corpus:
    """The source's corpus from its sharded cache, building the cache first when there is none."""
    names = [n for n, _ in _items(source)]
    folder = cache_folder(source, tokenizer, cache_dir, names)
    if (folder / MANIFEST).exists():
        log.info("token cache hit: %s", folder)
    else:
        build_shards(source, tokenizer, folder, workers, progress)
    corpus = open_shards(folder)
    if not len(corpus):
        raise DataError(f"training data {source!r}: none of its {len(names)} files could be used")
    return corpus


def build_shards(
    source: str,
    tokenizer: str,
    folder: Path,
    workers: int = 1,
    progress: Progress | None = None,
    shard_files: int = SHARD_FILES,
) -> Path:
    """Tokenise every file of ``source`` into ``folder`` (see the module docstring); returns it."""
    names = [n for n, _ in _items(source)]
    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    jobs: list[Job] = [
        (source, tokenizer, i, min(i + shard_files, len(names)), str(tmp / f"{i // shard_files:05d}"))
        for i in range(0, len(names), shard_files)
    ]
    results = []
    for done, result in enumerate(_run(jobs, workers), 1):
        results.append(result)
        if progress:
            progress(done, len(jobs))
    manifest = _manifest(source, tokenizer, cache_key(source, tokenizer, names), names, results)
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    try:
        tmp.replace(folder)
    except OSError:  # another builder finished first: theirs holds the same bytes
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def _run(jobs: list[Job], workers: int) -> Any:
    if workers <= 1 or len(jobs) <= 1:
        return map(build_shard, jobs)
    pool = ProcessPoolExecutor(min(workers, len(jobs)), mp_context=multiprocessing.get_context("spawn"))
    return _pooled(pool, jobs)


def _pooled(pool: ProcessPoolExecutor, jobs: list[Job]) -> Any:
    with pool:
        yield from pool.map(build_shard, jobs)


def build_shard(job: Job) -> dict[str, Any]:
    """Tokenise one shard's files and write its three files (in a worker process); its manifest entry."""
    source, tokenizer, first, end, prefix = job
    corpus = tokenise_items(source, tokenizer, _items(source)[first:end])
    np.save(f"{prefix}.rows.npy", np.asarray(corpus.rows, dtype=np.int16))
    np.save(f"{prefix}.offsets.npy", corpus.offsets.astype(np.int64))
    Path(f"{prefix}.names.json").write_text(json.dumps(list(corpus.names), indent=0) + "\n")
    stem = Path(prefix).name
    return {
        "rows": f"{stem}.rows.npy",
        "offsets": f"{stem}.offsets.npy",
        "names": f"{stem}.names.json",
        "files": end - first,
        "pieces": len(corpus),
        "events": corpus.events,
        "skipped": list(corpus.skipped),
    }


def _manifest(
    source: str, tokenizer: str, source_hash: str, names: list[str], shards: list[dict[str, Any]]
) -> dict[str, Any]:
    skipped = [s for shard in shards for s in shard.pop("skipped")]
    return {
        "format": SHARDS_FORMAT,
        "source": source,
        "source_hash": source_hash,
        "tokenizer": tokenizer,
        "files": len(names),
        "pieces": sum(s["pieces"] for s in shards),
        "events": sum(s["events"] for s in shards),
        "skipped": [dict(zip(("file", "reason"), s.split(": ", 1), strict=True)) for s in skipped],
        "shards": shards,
    }


def read_manifest(folder: Path) -> dict[str, Any]:
    """A cache folder's manifest (see the module docstring)."""
    data: dict[str, Any] = json.loads((folder / MANIFEST).read_text())
    return data


def open_shards(folder: Path) -> Corpus:
    """The corpus of a sharded cache: rows memory-mapped, offsets and names read."""
    manifest = read_manifest(folder)
    parts, names, offsets, start = [], [], [np.zeros(1, np.int64)], 0
    for shard in manifest["shards"]:
        if shard["events"]:  # an empty array cannot be memory-mapped (a shard of skipped files)
            parts.append(np.load(folder / shard["rows"], mmap_mode="r"))
        names += json.loads((folder / shard["names"]).read_text())
        offsets.append(np.load(folder / shard["offsets"])[1:] + start)
        start += shard["events"]
    skipped = tuple(f"{s['file']}: {s['reason']}" for s in manifest["skipped"])
    rows = ShardedRows.of(parts)
    return Corpus(
        manifest["source"], manifest["tokenizer"], tuple(names), rows, np.concatenate(offsets), skipped
    )


@lru_cache(maxsize=4)
def _items(source: str) -> list[tuple[str, Loader]]:
    """The source's files, listed once per process (a worker lists them for all its shards)."""
    return list_items(source)
