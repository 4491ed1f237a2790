"""The parser process: same pieces and errors as loading in-process, under a time and a memory limit,
restarted when killed, and loading in-process when no process can start."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conductor.piece import PieceErrors, load_piece, load_piece_text
from conductor.piece.parse_worker import piece_from_reply, piece_reply
from conductor.piece.parser import PieceParser, shared_parser

ROOT = Path(__file__).resolve().parents[2]
MARK = ROOT / "pieces" / "mark_sat.yaml"


@pytest.fixture
def parser() -> Iterator[PieceParser]:
    p = PieceParser()
    yield p
    p.close()


def sections(count: int) -> str:
    rows = "".join(f"  - {{name: s{i}, mode: duet, length: 2 bars}}\n" for i in range(count))
    return "tempo: 120\nsections:\n" + rows


def test_the_parser_process_gives_the_same_piece_and_errors(parser: PieceParser, tmp_path: Path) -> None:
    assert parser.load(MARK) == load_piece(MARK)
    bad = tmp_path / "bad.yaml"
    bad.write_text("tempo: 96\nsections:\n  - {name: a, mode: duett, length: 8 brs}\n")
    with pytest.raises(PieceErrors) as there:
        parser.load(bad)
    with pytest.raises(PieceErrors) as here:
        load_piece(bad)
    assert there.value.errors == here.value.errors and len(here.value.errors) == 2
    with pytest.raises(FileNotFoundError):
        parser.load(tmp_path / "missing.yaml")
    assert parser.starts == 1  # one process for every load


def test_a_parse_past_the_time_limit_is_an_error_and_the_next_load_works(tmp_path: Path) -> None:
    slow = tmp_path / "slow.yaml"
    slow.write_text(sections(10_000))  # seconds of parsing: far past a 50 ms limit
    parser = PieceParser(timeout_s=0.05)
    try:
        with pytest.raises(PieceErrors) as info:
            parser.load(slow)
        (error,) = info.value.errors
        assert error.path == "(limit)" and "took longer than 0.05 s" in error.message
        assert str(error).startswith(f"{slow}: (limit): ")
        parser.timeout_s = 60.0
        assert parser.load(MARK).title == "Saturday set" and parser.starts == 2
    finally:
        parser.close()


def test_a_parse_past_the_memory_limit_is_an_error(tmp_path: Path) -> None:
    greedy = tmp_path / "greedy.yaml"
    greedy.write_text(sections(10_000))  # ~100 MB of Python objects in-process
    parser = PieceParser(memory_mb=64)
    try:
        with pytest.raises(PieceErrors) as info:
            parser.load(greedy)
        (error,) = info.value.errors
        assert error.path == "(limit)", str(error)
        assert "memory" in error.message or "limits" in error.message, str(error)
    finally:
        parser.close()


def test_a_killed_parser_process_is_replaced(parser: PieceParser) -> None:
    parser.load(MARK)
    assert parser._proc is not None
    os.kill(parser._proc.pid, signal.SIGKILL)
    parser._proc.wait()
    assert parser.load(MARK).title == "Saturday set" and parser.starts == 2


def test_without_a_process_pieces_load_here_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/false")  # starts, then exits at once
    parser = PieceParser()
    with caplog.at_level(logging.WARNING):
        assert parser.load(MARK) == load_piece(MARK)
    assert "pieces are parsed in this process" in caplog.text


def test_the_shared_parser_is_one_process() -> None:
    assert shared_parser() is shared_parser()
    assert shared_parser().load(MARK).title == "Saturday set"


def test_a_long_piece_travels_in_chunks_and_comes_back_equal() -> None:
    piece = load_piece_text(sections(600))  # three chunks of sections
    kind, head, chunks = piece_reply(piece)
    assert kind == "piece" and len(chunks) == 3
    assert piece_from_reply(head, chunks) == piece


def test_close_does_not_wait_for_a_load_in_flight(tmp_path: Path) -> None:
    slow = tmp_path / "slow.yaml"
    slow.write_text(sections(10_000))
    parser = PieceParser(timeout_s=600)
    parser.load(MARK)
    failed: list[BaseException] = []

    def load() -> None:
        try:
            parser.load(slow)
        except PieceErrors as exc:
            failed.append(exc)

    loading = threading.Thread(target=load)
    loading.start()
    while parser._sock is None or not parser._lock.locked():
        time.sleep(0.001)
    parser.close()  # kills the process: the load ends now, not after its parse
    loading.join(timeout=60)
    assert not loading.is_alive() and len(failed) == 1 and "(limit)" in str(failed[0])
