"""The piece watcher: atomic saves, in-place saves, debounce, invalid edits, next good edit."""

from __future__ import annotations

import os
import queue
import subprocess
import time
from pathlib import Path

import pytest

from conductor.live.reload import PieceWatcher, Rejected, Reloaded, ReloadResult
from conductor.piece.limits import MAX_BYTES

CRASHES = {
    "recursion": RecursionError("maximum recursion depth exceeded"),
    "key": KeyError("tempo"),
    "memory": MemoryError(),
    "overflow": OverflowError("int too large to convert to float"),
}


def parse(path: Path) -> str:
    """A stand-in parser: the text, ValueError for a 'broken' file, or an unexpected exception
    (a parser bug) for 'crash: KIND'."""
    text = path.read_text()
    if "broken" in text:
        raise ValueError(f"{path.name}:2: tempo: expected a number")
    if text.startswith("crash: "):
        raise CRASHES[text.split()[1]]
    return text.strip()


@pytest.fixture
def watched(tmp_path: Path):  # type: ignore[no-untyped-def]
    piece = tmp_path / "piece.yaml"
    piece.write_text("v0\n")
    results: queue.SimpleQueue[ReloadResult] = queue.SimpleQueue()
    watcher = PieceWatcher(piece, parse, results.put, debounce_s=0.05, gone_s=0.2)
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


def rejected_then_recovers(piece: Path, results: queue.SimpleQueue[ReloadResult], good: str) -> str:
    """The rejection's text, after checking that the next good save still applies."""
    rejected = next_result(results)
    assert isinstance(rejected, Rejected), rejected
    assert len(rejected.error.splitlines()) == 1 and str(piece) in rejected.error
    assert rejected.error.endswith("still playing the last good version")
    piece.write_text(good + "\n")
    result = next_result(results)
    assert isinstance(result, Reloaded) and result.piece == good
    return rejected.error


def test_a_save_that_is_not_utf8_is_rejected_and_watching_goes_on(watched) -> None:  # type: ignore[no-untyped-def]
    piece, results = watched
    piece.write_bytes(b"title: x\ntempo: caf\xe9\n")  # Latin-1, as some editors save
    error = rejected_then_recovers(piece, results, "v5")
    assert "is not UTF-8 text (byte 0xe9 at line 2, column 11: invalid continuation byte)" in error
    assert "save it as UTF-8" in error


def test_a_save_over_the_piece_size_limit_is_rejected(watched) -> None:  # type: ignore[no-untyped-def]
    piece, results = watched
    piece.write_text("# " + "x" * MAX_BYTES + "\n")  # the limit `conductor check` reads pieces under
    error = rejected_then_recovers(piece, results, "v5b")
    assert f"is larger than {MAX_BYTES:,} bytes, too large for a piece" in error


def test_a_deleted_piece_is_reported_once_it_stays_gone(watched) -> None:  # type: ignore[no-untyped-def]
    piece, results = watched
    piece.unlink()
    assert "the piece file is gone" in rejected_then_recovers(piece, results, "v6")


def test_delete_then_write_again_at_once_is_a_plain_reload(watched) -> None:  # type: ignore[no-untyped-def]
    piece, results = watched
    piece.rename(piece.with_name("piece.yaml~"))  # vim: rename away, then write the new version
    piece.write_text("v7\n")
    result = next_result(results)
    assert isinstance(result, Reloaded) and result.piece == "v7"


def test_a_directory_in_the_pieces_place_is_rejected(watched) -> None:  # type: ignore[no-untyped-def]
    piece, results = watched
    piece.unlink()
    piece.mkdir()
    rejected = next_result(results)
    assert isinstance(rejected, Rejected) and "is a directory now" in rejected.error
    piece.rmdir()
    piece.write_text("v8\n")
    result = next_result(results)
    assert isinstance(result, Reloaded) and result.piece == "v8"


def test_a_pipe_in_the_pieces_place_does_not_hang_the_watcher(watched) -> None:  # type: ignore[no-untyped-def]
    piece, results = watched
    piece.unlink()
    os.mkfifo(piece)
    rejected = next_result(results)
    assert isinstance(rejected, Rejected) and "is not a regular file" in rejected.error
    piece.unlink()
    piece.write_text("v9\n")
    result = next_result(results)
    assert isinstance(result, Reloaded) and result.piece == "v9"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file: no permission error to provoke")
def test_an_unreadable_piece_is_rejected(watched) -> None:  # type: ignore[no-untyped-def]
    piece, results = watched
    tmp = piece.with_name(".piece.yaml.tmp")
    tmp.write_text("v10\n")
    tmp.chmod(0)
    os.replace(tmp, piece)
    rejected = next_result(results)
    assert isinstance(rejected, Rejected) and "permission denied" in rejected.error
    piece.chmod(0o644)
    piece.write_text("v11\n")
    result = next_result(results)
    assert isinstance(result, Reloaded) and result.piece == "v11"


@pytest.mark.parametrize("kind", sorted(CRASHES))
def test_a_parser_crash_of_any_type_is_a_rejection(watched, kind: str) -> None:  # type: ignore[no-untyped-def]
    piece, results = watched
    piece.write_text(f"crash: {kind}\n")
    error = rejected_then_recovers(piece, results, f"after {kind}")
    assert f"the piece could not be read ({type(CRASHES[kind]).__name__}: " in error
