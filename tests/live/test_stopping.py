"""Stop signals and the guarded end of a performance, in this process with stand-ins for its parts."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conductor.live.finish import finish
from conductor.live.rig import Opened
from conductor.live.stopping import EmergencyStop, StopSignals


def spin(seconds: float) -> None:
    """A stuck engine: busy for `seconds` (bytecodes, so signal handlers run)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_the_first_signal_asks_and_a_second_forces() -> None:
    asked: list[str] = []
    signals = StopSignals(asked.append, lambda: False, force_after_s=60.0)
    signals.install()
    try:
        signal.raise_signal(signal.SIGHUP)
        assert asked == ["SIGHUP"]
        with pytest.raises(EmergencyStop, match="SIGTERM"):
            signal.raise_signal(signal.SIGTERM)
            spin(5.0)
        signal.raise_signal(signal.SIGINT)  # forced once only: now nothing more
    finally:
        signals.restore()
    assert signal.getsignal(signal.SIGHUP) is not signals._handle


def test_an_engine_that_does_not_stop_is_forced_after_a_while() -> None:
    asked: list[str] = []
    signals = StopSignals(asked.append, lambda: False, force_after_s=0.2)
    signals.install()
    try:
        with pytest.raises(EmergencyStop, match="SIGQUIT"):
            signal.raise_signal(signal.SIGQUIT)
            spin(10.0)  # the stuck engine, unwound by the timer
    finally:
        signals.restore()
    assert asked == ["SIGQUIT"]


def test_nothing_is_forced_once_the_show_is_finishing() -> None:
    signals = StopSignals(lambda why: None, lambda: True, force_after_s=0.05)
    signals.install()
    try:
        signal.raise_signal(signal.SIGINT)
        spin(0.3)
        signal.raise_signal(signal.SIGINT)
    finally:
        signals.restore()


class Part:
    """A stand-in for one part of a performance: records calls, raises when told to."""

    def __init__(self, calls: list[str], name: str, fails: bool = False) -> None:
        self.calls, self.name, self.fails = calls, name, fails

    def __getattr__(self, method: str) -> Any:
        def call(*args: Any) -> None:
            self.calls.append(f"{self.name}.{method}")
            if self.fails:
                raise RuntimeError(f"{self.name} is broken")

        return call


def test_the_end_runs_every_step_even_when_parts_fail(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []
    engine = Part(calls, "engine", fails=True)
    engine.scheduler = Part(calls, "scheduler")  # type: ignore[attr-defined]
    engine.stats = {}  # type: ignore[attr-defined]
    sender = Part(calls, "sender", fails=True)
    recorder = Part(calls, "recorder", fails=True)
    recorder.log_path = recorder.midi_path = Path("take")  # type: ignore[attr-defined]
    opened = Opened(
        output=Part(calls, "output", fails=True), input=Part(calls, "input"),  # type: ignore[arg-type]
        lister=Part(calls, "lister"), runner=Part(calls, "runner"), recorder=recorder,  # type: ignore[arg-type]
        engine=engine, sender=sender, watcher=Part(calls, "watcher", fails=True),  # type: ignore[arg-type]
    )  # fmt: skip
    finish(opened, 12.0, 2, SimpleNamespace(dropped=0))  # type: ignore[arg-type]
    assert calls == [
        "engine.stop", "scheduler.close_all", "sender.stop", "sender.send_due", "output.send",
        "watcher.stop", "runner.close", "sender.heard_lateness", "recorder.close",
        "output.close", "input.close", "lister.close",
    ]  # fmt: skip
    assert "while stopping (closing the engine's notes): RuntimeError: engine is broken" in caplog.text
    assert "while stopping (sending All Notes Off): RuntimeError: output is broken" in caplog.text
    assert "take saved" not in caplog.text  # the recorder failed: not claimed
