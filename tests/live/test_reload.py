"""The piece watcher: atomic saves, in-place saves, debounce, invalid edits, next good edit."""

from __future__ import annotations

import os
import queue
import subprocess
import time
from pathlib import Path

import pytest

from conductor.live.reload import PieceWatcher, Rejected, Reloaded, ReloadResult


def parse(path: Path) -> str:
    """A stand-in parser: the text, or ValueError for a 'broken' file."""
    text = path.read_text()
    if "broken" in text:
        raise ValueError(f"{path.name}:2: tempo: expected a number")
    return text.strip()


@pytest.fixture
def watched(tmp_path: Path):  # type: ignore[no-untyped-def]
    piece = tmp_path / "piece.yaml"
    piece.write_text("v0\n")
    results: queue.SimpleQueue[ReloadResult] = queue.SimpleQueue()
    watcher = PieceWatcher(piece, parse, results.put, debounce_s=0.05)
    watcher.start()
    yield piece, results
    watcher.stop()


def next_result(results: queue.SimpleQueue[ReloadResult]) -> ReloadResult:
    return results.get(timeout=10)


def test_in_place_save_reloads(watched) -> None:  # type: ignore[no-untyped-def]
    piece, results = watched
    piece.write_text("v1\n")
    result = next_result(results)
    assert isinstance(result, Reloaded) and result.piece == "v1"


def test_atomic_rename_into_place_reloads(watched) -> None:  # type: ignore[no-untyped-def]
    piece, results = watched
    tmp = piece.with_name(".piece.yaml.swp")
    tmp.write_text("v2\n")
    os.replace(tmp, piece)
    result = next_result(results)
    assert isinstance(result, Reloaded) and result.piece == "v2"


def test_sed_in_place_reloads(watched) -> None:  # type: ignore[no-untyped-def]
    piece, results = watched
    subprocess.run(["sed", "-i", "s/v0/v3/", str(piece)], check=True)
    result = next_result(results)
    assert isinstance(result, Reloaded) and result.piece == "v3"


def test_a_burst_of_saves_is_one_reload(watched) -> None:  # type: ignore[no-untyped-def]
    piece, results = watched
    for i in range(5):
        piece.write_text(f"burst {i}\n")
    result = next_result(results)
    time.sleep(0.3)
    later = []
    while not results.empty():
        later.append(results.get())
    assert [r.piece for r in [result, *later] if isinstance(r, Reloaded)][-1] == "burst 4"
    assert len(later) <= 1  # debounced: the burst settles once (twice at most if the OS split it)


def test_a_broken_edit_is_rejected_and_the_next_good_one_applies(watched) -> None:  # type: ignore[no-untyped-def]
    piece, results = watched
    piece.write_text("v1\nbroken\n")
    rejected = next_result(results)
    assert isinstance(rejected, Rejected)
    assert rejected.error == "piece.yaml:2: tempo: expected a number"
    piece.write_text("v4\n")
    result = next_result(results)
    assert isinstance(result, Reloaded) and result.piece == "v4"


def test_other_files_and_reads_are_ignored(watched) -> None:  # type: ignore[no-untyped-def]
    piece, results = watched
    (piece.parent / "other.yaml").write_text("x\n")
    piece.read_text()
    with pytest.raises(queue.Empty):
        results.get(timeout=0.5)
