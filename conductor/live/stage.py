"""The stage display's snapshot, built on the engine thread from `Engine.status()` and the live parts."""

from __future__ import annotations

import time

from conductor.engine.status import EngineStatus
from conductor.live.display import StageInfo
from conductor.live.lateness import WARN_S, Lateness
from conductor.live.process_runner import ProcessRunner, WorkerHealth
from conductor.live.reload import Rejected, ReloadResult
from conductor.live.sender import Sender

AI_WORDS = {"thinking": "generating", "waiting": "listening"}


def left_text(status: EngineStatus) -> str:
    """'3.0 bars / 7.5 s left', or 'footswitch' when the section waits for the pedal."""
    if status.time_left is None or status.bars_left is None:
        return "until footswitch" if status.section else "stopped"
    return f"{status.bars_left:.1f} bars / {status.time_left:.1f} s left"


def worker_text(health: WorkerHealth) -> str:
    """'markov (order 4) — ready (pid 123)' ('loading markov (order 4) …' while the worker loads it),
    plus restarts and the last model error if any."""
    model = health.model or "the model"
    if health.state == "starting":
        text = f"loading {model} … (pid {health.pid})"
    else:
        text = f"{model} — {health.state} (pid {health.pid})"
    if health.restarts:
        text += f", restarts {health.restarts}"
    if health.last_error:
        text += f" — {health.last_error}"
    return text


def loading(piece_title: str, model: str, runner: ProcessRunner | None) -> StageInfo:
    """What the display shows before the performance starts: 'loading <model> …', from the worker's
    health once it runs (rich's refresh thread calls it: `health()` is thread-safe), and from the
    piece's model before, so that the first screen drawn names the model however fast it loads."""
    worker = worker_text(runner.health()) if runner is not None else f"loading {model} …"
    return StageInfo(piece=piece_title, section="starting", ai_state="silent", worker=worker)


def heard_text(heard: Lateness, late_notes: int, dropped_late: int) -> str:
    """'p99 0.4 ms, worst 12.0 ms · 3 notes > 10 ms late · 1 dropped as too late'."""
    text = f"p99 {heard.p99_ms:.1f} ms, worst {heard.max_ms:.1f} ms"
    text += f" · {late_notes} notes > {WARN_S * 1000:.0f} ms late · {dropped_late} dropped as too late"
    return text


def confirm_text(confirm: float | None) -> str:
    """What the performer is told while a stop waits `confirm` more seconds for its confirming press."""
    return "" if confirm is None else f"press next again within {confirm:.1f} s to end the piece"


def reload_line(result: ReloadResult) -> str:
    """What the display's `reload` row says about a result (the rejected text is shown below it)."""
    stamp = time.strftime("%H:%M:%S")
    if isinstance(result, Rejected):
        return f"rejected {stamp} — still playing the last good version"
    return f"applied {stamp}"


def snapshot(
    piece_title: str,
    status: EngineStatus,
    health: WorkerHealth,
    sender: Sender,
    confirm: float | None = None,
    **extra: str,
) -> StageInfo:
    """A `StageInfo` from the engine status, the worker health and the clock thread's figures;
    `confirm` is how long a stop waits for its confirming press (None: none waits)."""
    heard, clock, late = sender.heard_lateness(), sender.clock_lateness(), sender.late_notes.count
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
        heard=heard_text(heard, late, status.dropped_late),
        heard_alarm=late > 0 or status.dropped_late > 0,
        clock=f"p99 {clock.p99_ms:.2f} ms, worst {clock.max_ms:.2f} ms ({clock.count} sends)",
        confirm=confirm_text(confirm),
        **extra,
    )
