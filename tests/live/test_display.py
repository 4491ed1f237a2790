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
        clock="late p99 0.05 ms",
        reload="applied 12:00:01",
        error="model worker died (exit code -9)",
        take="takes/saturday-set_20261122-010203.jsonl",
    )
    text = render_text(info, width=100)
    for fact in (
        "Saturday set", "fours", "→ comp", "3.0 bars / 7.5 s left", "trading", "generating", "D minor",
        "in 4.0   out 2.5", "120 ms", "restarts 1", "late p99 0.05 ms", "applied 12:00:01",
        "! model worker died (exit code -9)", "saturday-set_20261122-010203.jsonl",
    ):  # fmt: skip
        assert fact in text, fact
