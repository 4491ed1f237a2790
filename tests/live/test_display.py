"""The stage display renders every fact a performer needs."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

import pytest
from rich.console import Console

from conductor.live.display import ConsoleLogHandler, StageDisplay, StageInfo, render_text
from conductor.live.process_runner import WorkerHealth, model_label
from conductor.live.stage import loading, worker_text
from conductor.piece.compiled import ModelSpec
from conductor.piece.names import Dtype, ModelKind


def test_the_display_shows_every_fact() -> None:
    info = StageInfo(
        piece="Saturday set",
        section="fours",
        next_section="comp",
        left="3.0 bars / 7.5 s left",
        mode="trading",
        ai_state="generating",
        key="D minor",
        notes_in_per_s=4.0,
        notes_out_per_s=2.5,
        latency_ms=120.0,
        worker="ready (pid 42), restarts 1",
        heard="p99 0.4 ms, worst 12.0 ms · 3 notes > 10 ms late · 1 dropped as too late",
        heard_alarm=True,
        clock="p99 0.05 ms",
        reload="applied 12:00:01",
        error="model worker died (exit code -9)",
        take="takes/saturday-set_20261122-010203.jsonl",
    )
    text = render_text(info, width=100)
    for fact in (
        "Saturday set", "fours", "→ comp", "3.0 bars / 7.5 s left", "trading", "generating", "D minor",
        "in 4.0   out 2.5", "120 ms", "restarts 1", "p99 0.05 ms", "applied 12:00:01",
        "p99 0.4 ms, worst 12.0 ms · 3 notes > 10 ms late · 1 dropped as too late",
        "! model worker died (exit code -9)", "saturday-set_20261122-010203.jsonl",
    ):  # fmt: skip
        assert fact in text, fact


REJECTED = """2 errors in piece
  /home/mark/pieces/saturday.yaml:3:8: tempo: 'fast' is not a number (expected beats per minute, 20..400)
  /home/mark/pieces/saturday.yaml:14:5: sections[2].then: no section called 'outro' (did you mean 'intro'?)"""


def test_a_rejected_edit_is_shown_whole_and_wrapped() -> None:
    info = StageInfo(piece="Saturday set", reload="rejected 21:30:05 — still playing the last good version",
                     reload_error=REJECTED)  # fmt: skip
    text = render_text(info, width=60)
    flat = " ".join(line.strip("│ ") for line in text.splitlines())
    for fact in ("rejected 21:30:05", "saturday.yaml:3:8: tempo: 'fast' is not a number", "20..400",
                 "sections[2].then: no section called 'outro'", "(did you mean 'intro'?)"):  # fmt: skip
        assert fact in flat.replace("  ", " "), fact
    assert max(len(line) for line in text.splitlines()) <= 60


def test_a_huge_rejection_is_cut_to_a_screenful() -> None:
    error = "\n".join(f"  piece.yaml:{i}:1: sections[{i}]: bad" for i in range(1, 10_001))
    text = render_text(StageInfo(piece="p", reload_error=f"10000 errors in piece\n{error}"), width=100)
    assert "piece.yaml:10:1" in text and "piece.yaml:11:1" not in text
    assert "… and 9990 more lines (in the log and the take)" in text


def test_a_stop_waiting_for_confirmation_is_shown() -> None:
    text = render_text(StageInfo(piece="p", confirm="press next again within 2.5 s to end the piece"))
    assert "press next again within 2.5 s to end the piece" in text


def test_the_model_row_says_what_loads_then_what_plays() -> None:
    spec = ModelSpec(kind=ModelKind.SKYTNT, config="tv2o-medium", dtype=Dtype.FLOAT16, device="cuda")
    assert model_label(spec) == "skytnt tv2o-medium (float16, cuda)"
    lora = ModelSpec(kind=ModelKind.SKYTNT, checkpoint=Path("models/mark-lora"))
    assert model_label(lora) == "skytnt mark-lora"
    assert model_label(ModelSpec()) == "markov (order 4)"
    starting = WorkerHealth(state="starting", pid=7, model="skytnt tv2o-medium")
    assert worker_text(starting) == "loading skytnt tv2o-medium … (pid 7)"
    ready = WorkerHealth(state="ready", pid=7, model="skytnt tv2o-medium")
    shown = render_text(StageInfo(piece="p", worker=worker_text(ready)))
    assert "skytnt tv2o-medium — ready (pid 7)" in shown
    assert "loading markov (order 4) …" in render_text(loading("p", "markov (order 4)", None))


def test_log_lines_print_above_the_display_not_under_it(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    plain = logging.StreamHandler(sys.stderr)
    plain.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(plain)
    screen = io.StringIO()
    display = StageDisplay(lambda: StageInfo(piece="p"), Console(file=screen, width=80, force_terminal=True))
    try:
        display.start()
        assert plain not in root.handlers
        logging.getLogger("conductor.test").warning("late [note] %d", 3)
        display.stop()
        assert plain in root.handlers and not [h for h in root.handlers if isinstance(h, ConsoleLogHandler)]
    finally:
        root.removeHandler(plain)
    assert "WARNING conductor.test: late [note] 3" in screen.getvalue()
    assert "late [note]" not in capsys.readouterr().err  # not written under the display's back
