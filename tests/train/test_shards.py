"""The sharded token cache: the same bytes from 1 or 2 workers, a manifest with skipped files and why,
memory-mapped rows that read back every piece, and `ShardedRows` slicing across shards."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conductor.train.data import list_items, load_corpus, tokenise_items
from conductor.train.rows import ShardedRows
from conductor.train.shards import MANIFEST, build_shards, open_shards, read_manifest


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_one_or_two_workers_write_the_same_bytes(midi_folder: Path, tmp_path: Path) -> None:
    one = build_shards(str(midi_folder), "v2o", tmp_path / "one", workers=1, shard_files=3)
    two = build_shards(str(midi_folder), "v2o", tmp_path / "two", workers=2, shard_files=3)
    files = _files(one)
    assert len(files) == 1 + 3 * 3  # 8 files in shards of 3: the manifest and 3 x (rows, offsets, names)
    assert files == _files(two)


def test_manifest_counts_and_names_the_skipped_files_with_their_reasons(
    midi_folder: Path, tmp_path: Path
) -> None:
    manifest = read_manifest(build_shards(str(midi_folder), "v2o", tmp_path / "c", shard_files=3))
    assert (manifest["files"], manifest["pieces"], manifest["tokenizer"]) == (8, 6, "v2o")
    assert [s["pieces"] for s in manifest["shards"]] == [1, 3, 2]  # corrupt, empty, piece0 | 1-3 | 4-5
    reasons = {s["file"]: s["reason"] for s in manifest["skipped"]}
    assert reasons["empty.mid"] == "no notes"
    assert reasons["corrupt.mid"].startswith("unreadable: ") and "truncated" in reasons["corrupt.mid"]
    assert len(manifest["source_hash"]) == 16
    assert sum(s["events"] for s in manifest["shards"]) == manifest["events"]


def test_shards_read_back_every_piece_memory_mapped(midi_folder: Path, tmp_path: Path) -> None:
    folder = build_shards(str(midi_folder), "v2o", tmp_path / "c", shard_files=3)
    corpus = open_shards(folder)
    whole = tokenise_items(str(midi_folder), "v2o", list_items(str(midi_folder)))
    assert corpus.names == whole.names and corpus.skipped == whole.skipped
    assert np.array_equal(corpus.offsets, whole.offsets) and corpus.events == whole.events
    assert isinstance(corpus.rows, ShardedRows)
    assert all(isinstance(p, np.memmap) for p in corpus.rows.parts)
    for i in range(len(corpus)):
        assert np.array_equal(corpus.piece(i), whole.piece(i))


def test_load_corpus_builds_once_then_reads_the_cache(midi_folder: Path, tmp_path: Path) -> None:
    first = load_corpus(str(midi_folder), "v2o", tmp_path / "cache", workers=2)
    [folder] = (tmp_path / "cache").iterdir()
    assert (folder / MANIFEST).exists()
    stamp = (folder / MANIFEST).stat().st_mtime_ns
    second = load_corpus(str(midi_folder), "v2o", tmp_path / "cache")
    assert (folder / MANIFEST).stat().st_mtime_ns == stamp  # not rebuilt
    assert second.names == first.names and np.array_equal(second.piece(5), first.piece(5))
    assert json.loads((folder / MANIFEST).read_text())["pieces"] == 6


def test_sharded_rows_slice_within_and_across_shards() -> None:
    a, b = np.arange(12).reshape(6, 2), np.arange(100, 108).reshape(4, 2)
    rows = ShardedRows.of([a, ShardedRows.of([b])])
    assert rows.shape == (10, 2) and len(rows) == 10
    assert np.array_equal(rows[6:8], b[0:2])
    assert np.array_equal(rows[4:8], np.concatenate([a[4:], b[:2]]))
    assert np.array_equal(np.asarray(rows), np.concatenate([a, b]))
    with pytest.raises(ValueError, match="contiguous"):
        rows[0:10:2]
