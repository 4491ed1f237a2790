"""The `conductor` entry point: commands are listed, and a closed pipe is not an error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conductor.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[1]


def test_every_command_is_registered() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert sorted(sub.choices) == sorted(COMMANDS)  # type: ignore[arg-type]


def test_a_reader_that_stops_early_is_not_an_error() -> None:
    cmd = [sys.executable, "-m", "conductor", "tokens", str(ROOT / "examples" / "mark_human.mid")]
    cmd += ["--tokenizer", "v2o", "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    head = proc.stdout.read(16)
    proc.stdout.close()  # like `| head -c 16`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert head.startswith(b"[[1,0,0,0")
    assert "Traceback" not in err
