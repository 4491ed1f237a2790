"""The end of a live performance, whatever ended it: every note closed and sent, All Notes Off, the
worker and the watcher stopped, the summary logged, the take saved, the ports closed.

Each step is guarded: one that raises is logged and the next one still runs, so a broken engine, a
dead take writer or a vanished port never leaves a note sounding, the take unsaved or a port open.
The take is saved before the ports are closed (closing a JACK port whose peer has vanished can
block inside rtmidi). rtmidi's JACK output has no flush: closing it right after a send lost that
message 1 time in 20 here (exiting without closing, 8 in 20), so the output is closed no sooner than
`FLUSH_S` after the last message was sent. Runs on the main thread after the engine thread's loop.

The summary goes to the `conductor.live.summary` logger at INFO, shown even when the stage display
has raised the console's level to warnings only (so does the "performance started" line): lateness
as heard (p50/p99/worst, notes sent more than 10 ms late, notes the engine dropped as too late), the
clock thread's own lateness, the feedback filter's count, and where the take is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import mido

from conductor.engine.engine import Engine
from conductor.engine.take_events import LatenessReport
from conductor.live.feedback import FeedbackFilter
from conductor.live.lateness import WARN_S
from conductor.live.ports import OutputPort
from conductor.live.rig import Opened
from conductor.live.sender import Sender

log = logging.getLogger(__name__)
summary_log = logging.getLogger("conductor.live.summary")
summary_log.setLevel(logging.INFO)
FLUSH_S = 0.1  # JACK delivers a send at its next cycle (5 ms at 256 frames, 85 ms at 4096)


def finish(opened: Opened, now: float, ai_channel: int, feedback: FeedbackFilter) -> None:
    """Close everything `opened` holds, in the safe order, at logical time `now`. Never raises."""
    engine, sender, output = opened.engine, opened.sender, opened.output
    if engine is not None:
        _step("closing the engine's notes", engine.stop, now)
        _step("closing the scheduler's notes", engine.scheduler.close_all, now)  # even if stop() failed
    if sender is not None:
        _step("stopping the clock thread", sender.stop)
        _step("sending the closing note-offs", sender.send_due, now + 3600.0)  # from this thread
    elif engine is not None and output is not None:
        _step("sending the closing note-offs", _send_all, engine, output, now)
    if engine is not None and output is not None:
        _step("sending All Notes Off", all_notes_off, opened, output, ai_channel, now)
    last_send = time.monotonic()
    if opened.watcher is not None:
        _step("stopping the watcher", opened.watcher.stop)
    if opened.runner is not None:
        _step("stopping the runner", opened.runner.close)
    if sender is not None:
        _step("the summary", summarize, opened, sender, feedback, now)
    recorder = opened.recorder
    if recorder is not None and _step("saving the take", recorder.close):
        summary_log.info("take saved: %s and %s", recorder.log_path, recorder.midi_path)
    time.sleep(max(0.0, last_send + FLUSH_S - time.monotonic()))  # let JACK carry the last messages
    for role, port in opened.ports():
        _step(f"closing the {role} port", port.close)
    if opened.lister is not None:
        _step("closing the port watcher", opened.lister.close)


def all_notes_off(opened: Opened, output: OutputPort, channel: int, now: float) -> None:
    """All Notes Off (CC 123) on the AI's channel, sent and recorded (the end of the show)."""
    msg = mido.Message("control_change", channel=channel, control=123, value=0)
    output.send(msg)
    if opened.recorder is not None:
        opened.recorder.ai(msg, now)


def summarize(opened: Opened, sender: Sender, feedback: FeedbackFilter, now: float) -> None:
    """Log the performance's figures and write them to the take as one `lateness` event."""
    heard, clock = sender.heard_lateness(), sender.clock_lateness()
    dropped = _dropped_late(opened.engine)
    late = sender.late_notes.count
    summary_log.info(
        "lateness as heard: %d sends, p50 %.2f ms, p99 %.2f ms, worst %.2f ms; %d notes more than %.0f ms "
        "late; %d dropped as too late", heard.count, heard.p50_ms, heard.p99_ms, heard.max_ms, late,
        WARN_S * 1000, dropped,
    )  # fmt: skip
    summary_log.info(
        "clock thread alone: p50 %.3f ms, p99 %.3f ms, worst %.3f ms; %d messages already late when queued",
        clock.p50_ms, clock.p99_ms, clock.max_ms, sender.scheduled_late,
    )  # fmt: skip
    summary_log.info("feedback: ignored %d of the AI's own messages coming back", feedback.dropped)
    if opened.recorder is not None:
        opened.recorder.record(
            LatenessReport(heard.count, heard.p50_ms, heard.p99_ms, heard.max_ms, sender.scheduled_late, late,
                           dropped, clock.p50_ms, clock.p99_ms, clock.max_ms),
            now,
        )  # fmt: skip


def _dropped_late(engine: Engine | None) -> int:
    """Notes the engine dropped because they arrived after their onset (0 if it cannot say)."""
    try:
        return int(sum(s.dropped_late for s in engine.stats.values())) if engine is not None else 0
    except Exception:
        return 0


def _send_all(engine: Engine, port: OutputPort, now: float) -> None:
    """Without a clock thread: send every queued message (the closing note-offs) straight away."""
    for _, msg in engine.drain(now + 3600.0):
        port.send(msg)


def _step(what: str, func: Callable[..., object], *args: object) -> bool:
    """Run one step of the end; False (and a log line) if it raised."""
    try:
        func(*args)
    except Exception as exc:
        log.error("while stopping (%s): %s: %s", what, type(exc).__name__, exc)
        return False
    return True
