"""`conductor check` on every hostile piece of tests/piece/hostile.py: an exit status of 0 or 1 and
error lines naming the file, never a traceback, never an internal error, never a hang.

(bench/bench_hostile_pieces.py runs the same set as separate processes with a timeout and measures
their memory; here they run in this process, through the shared parser process.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conductor.cli import main
from tests.piece.hostile import BYTES, NUMBERS, STRUCTURE, write_hostile

VALID = {"ten-thousand-sections-valid", "bom", "crlf", "lone-cr"}
SLOW = {"ten-thousand-sections-valid", "ten-thousand-duplicate-names"}  # seconds each: bench only


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return dict(write_hostile(tmp_path_factory.mktemp("hostile")))


def test_there_are_at_least_64_hostile_pieces(hostile: dict[str, Path]) -> None:
    assert len(hostile) >= 64 and sorted(NAMES) == sorted(hostile)


NAMES = [*NUMBERS, *STRUCTURE, *BYTES, "fifo", "symlink-loop", "folder", "missing", "dev-zero"]


@pytest.mark.parametrize("name", [n for n in NAMES if n not in SLOW])
def test_check_answers_every_hostile_piece_with_an_error_line(
    name: str, hostile: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = hostile[name]
    code = main(["check", str(path)])
    out = capsys.readouterr().out
    assert code == (0 if name in VALID else 1), out[-2000:]
    assert out.strip().splitlines()[-1 if code == 0 else 0].startswith(str(path)), out[-2000:]
    assert "Traceback" not in out and "(internal)" not in out and "please report" not in out, out[-2000:]
    assert max(len(line) for line in out.splitlines()) <= 400  # a huge value is never echoed whole
