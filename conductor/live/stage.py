"""The stage display's snapshot, built on the engine thread from `Engine.status()` and the live parts."""

from __future__ import annotations

from typing import Any

from conductor.live.display import StageInfo

AI_WORDS = {"thinking": "generating", "waiting": "listening"}


def left_text(status: Any) -> str:
    """'3.0 bars / 7.5 s left', or 'footswitch' when the section waits for the pedal."""
    if status.time_left is None:
        return "until footswitch" if status.section else "stopped"
    return f"{status.bars_left:.1f} bars / {status.time_left:.1f} s left"


def worker_text(health: Any) -> str:
    """'ready (pid 123)', plus restarts and the last model error if any."""
    text = f"{health.state} (pid {health.pid})"
    if health.restarts:
        text += f", restarts {health.restarts}"
    if health.last_error:
        text += f" — {health.last_error}"
    return text


def snapshot(piece_title: str, status: Any, health: Any, lateness: Any, **extra: Any) -> StageInfo:
    """A `StageInfo` from the engine status, the worker health and the clock's lateness."""
    return StageInfo(
        piece=piece_title,
        section=status.section or "(end)",
        next_section=status.next_section or "-",
        left=left_text(status),
        mode=status.mode or "-",
        ai_state=AI_WORDS.get(status.ai_state, status.ai_state),
        key=status.key or "-",
        notes_in_per_s=status.human_rate,
        notes_out_per_s=status.ai_rate,
        latency_ms=None if status.latency is None else status.latency * 1000.0,
        worker=worker_text(health),
        clock=f"late p99 {lateness.p99_ms:.2f} ms, max {lateness.max_ms:.2f} ms ({lateness.count} sends)",
        **extra,
    )
