"""Test harness: `conductor perform` as a subprocess on a private JACK server, driven like a musician.

`Stage` starts the command with `--virtual --midi-api jack --no-display`, connects a keyboard (an
output into `conductor in`) and a listener (an input from `conductor out`), plays phrases, and reads
the take. Waits are generous polls for presence, never timing assertions.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mido

from conductor.live.ports import VIRTUAL_IN, VIRTUAL_OUT, PortLister, backend, open_input

PHRASE = (60, 62, 64, 65, 67, 65, 64, 62)
WAIT_S = 60.0
LEFT_OPEN: list[Any] = []  # test-side ports kept open until the JACK server stops (see Stage.close)


def wait_for(what: str, check: Callable[[], Any], timeout: float = WAIT_S) -> Any:
    """Poll `check()` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Stage:
    """One `conductor perform` subprocess and the test's MIDI ends."""

    def __init__(self, piece: Path, takes: Path, *extra: str) -> None:
        self.takes = takes
        self.log_path = takes.parent / f"{takes.name}.stderr"
        self.be = backend("jack")
        self.lister = PortLister("jack")  # one client: listing through mido opens a client per call
        self.heard: list[tuple[float, mido.Message]] = []  # (monotonic, msg) from conductor out
        cmd = [sys.executable, "-m", "conductor", "perform", str(piece), "--virtual", "--midi-api", "jack"]
        cmd += ["--no-display", "--takes", str(takes), *extra]
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ})
        wait_for("the virtual ports", self._ports_up)
        keyboard = next(n for n in self.lister.names().outputs if VIRTUAL_IN in n)
        self.keyboard = self.be.open_output(keyboard)
        self.listener = open_input(
            "jack", VIRTUAL_OUT, lambda m: self.heard.append((time.monotonic(), m)), False
        )

    def _ports_up(self) -> bool:
        assert self.proc.poll() is None, f"conductor perform exited early:\n{self.log()}"
        names = self.lister.names().outputs + self.lister.names().inputs
        return any(VIRTUAL_IN in n for n in names) and any(VIRTUAL_OUT in n for n in names)

    def log(self) -> str:
        """Everything the performance printed so far."""
        return self.log_path.read_text()

    def play(self, pitches: tuple[int, ...] = PHRASE, note_s: float = 0.12, port: Any = None) -> list[bytes]:
        """Play a phrase on channel 1; returns the messages sent (as byte lists)."""
        sent = []
        for pitch in pitches:
            for msg in (
                mido.Message("note_on", note=pitch, velocity=80),
                mido.Message("note_off", note=pitch),
            ):
                (port or self.keyboard).send(msg)
                sent.append(msg.bytes())
                time.sleep(note_s)
        return sent

    def ai_note_ons(self, since: float = 0.0) -> list[mido.Message]:
        """AI note-ons heard after monotonic time `since`."""
        return [m for t, m in self.heard if t >= since and m.type == "note_on" and m.velocity > 0]

    def take_events(self) -> list[dict[str, Any]]:
        """The take log as written so far."""
        logs = sorted(self.takes.glob("*.jsonl"))
        if not logs:
            return []
        return [json.loads(line) for line in logs[-1].read_text().splitlines() if line.endswith("}")]

    def events(self, kind: str) -> list[dict[str, Any]]:
        """Take events of one kind."""
        return [e for e in self.take_events() if e["kind"] == kind]

    def interrupt(self) -> int:
        """Ctrl-C; returns the exit status."""
        self.proc.send_signal(signal.SIGINT)
        return self.wait()

    def wait(self, timeout: float = WAIT_S) -> int:
        rc = self.proc.wait(timeout=timeout)
        time.sleep(0.3)  # let the last messages cross JACK
        return rc

    def close(self) -> None:
        """Stop everything this stage started (also after a failed test)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.listener.stop_reading()
        # The test's own JACK ports are not closed: closing one whose peer (the ended performance)
        # has vanished can block inside rtmidi with the interpreter lock held. They live until the
        # session's JACK server is stopped.
        LEFT_OPEN.extend((self.listener, self.keyboard))
        self._log.close()


def worker_pids(parent: int) -> list[int]:
    """Child processes of `parent` running the model worker (multiprocessing spawn, not its tracker)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat[1]) == parent and "spawn_main" in cmdline and "resource_tracker" not in cmdline:
            out.append(int(entry.name))
    return out
