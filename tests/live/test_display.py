"""The stage display renders every fact a performer needs."""

from __future__ import annotations

from conductor.live.display import StageInfo, render_text


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
