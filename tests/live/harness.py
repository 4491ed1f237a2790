"""Test harness: `conductor perform` as a subprocess on a private JACK server, driven like a musician.

`Stage` starts the command with `--virtual --midi-api jack --no-display`, connects a listener (an
input from `conductor out`) and a keyboard (an output into `conductor in`), and only then lets the
test play: it waits for the performance's "performance started" line (input before it is dropped by
design) and for a probe — CC 3, an undefined controller, value 0, 1, ... — sent on the keyboard to
show up in the take. That handshake proves the JACK connection carries messages (the first message
sent right after connecting is lost 5–25 % of the time here, more under load) and that the engine
and the take writer are running. `human_played()` leaves the probes out. Waits are generous polls
for events, never sleeps standing in for them, and never timing assertions.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mido

from conductor.live.port_watch import PortLister
from conductor.live.ports import VIRTUAL_IN, VIRTUAL_OUT, backend, open_input

PHRASE = (60, 62, 64, 65, 67, 65, 64, 62)
PROBE_CC = 3  # an undefined controller: the handshake's probe, recorded as the human's, ignored by tests
STARTED = "performance started"
WAIT_S = 60.0


def wait_for(
    what: str, check: Callable[[], Any], timeout: float = WAIT_S, detail: Callable[[], str] = lambda: ""
) -> Any:
    """Poll `check()` until it returns something truthy; fail with `what` (and `detail()`) after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{detail()}")


class Stage:
    """One `conductor perform` subprocess and the test's MIDI ends."""

    def __init__(self, piece: Path, takes: Path, *extra: str, terminal: Terminal | None = None) -> None:
        """Start the performance (on `terminal` with its stage display, else logging to a file)."""
        self.takes = takes
        self.log_path = takes.parent / f"{takes.name}.stderr"
        self.be = backend("jack")
        self.lister = PortLister("jack")  # one client: listing through mido opens a client per call
        self.heard: list[tuple[float, mido.Message]] = []  # (monotonic, msg) from conductor out
        cmd = [sys.executable, "-m", "conductor", "perform", str(piece), "--virtual", "--midi-api", "jack"]
        cmd += ["--takes", str(takes), *extra]
        self.terminal = terminal
        self._log = self.log_path.open("w")
        if terminal is None:
            cmd.append("--no-display")
            self.proc = subprocess.Popen(  # its own process group, as under systemd or tmux
                cmd, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ}, start_new_session=True
            )
        else:
            self.proc = terminal.launch(cmd)
        wait_for("the virtual ports", self._ports_up)
        self.listener = open_input(
            "jack", VIRTUAL_OUT, lambda m: self.heard.append((time.monotonic(), m)), False
        )
        keyboard = next(n for n in self.lister.names().outputs if VIRTUAL_IN in n)
        self.keyboard = self.be.open_output(keyboard)
        self._probes, self._probe_sent = 0, 0.0
        wait_for("the performance to start", lambda: self._alive() and STARTED in self.log())
        wait_for("the keyboard to reach the take", self._probe, timeout=WAIT_S)

    def _alive(self) -> bool:
        assert self.proc.poll() is None, f"conductor perform exited early:\n{self.log()}"
        return True

    def _probe(self) -> bool:
        """Send a probe (every 1 s) until one is in the take; True once one is."""
        if self._probes == 0 or time.monotonic() - self._probe_sent > 1.0:
            self.keyboard.send(mido.Message("control_change", control=PROBE_CC, value=self._probes % 128))
            self._probe_sent, self._probes = time.monotonic(), self._probes + 1
        return any(e["bytes"][:2] == [0xB0, PROBE_CC] for e in self.events("human"))

    def _ports_up(self) -> bool:
        self._alive()
        names = self.lister.names().outputs + self.lister.names().inputs
        return any(VIRTUAL_IN in n for n in names) and any(VIRTUAL_OUT in n for n in names)

    def log(self) -> str:
        """Everything the performance printed so far."""
        return self.terminal.text() if self.terminal is not None else self.log_path.read_text()

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

    def human_played(self) -> list[list[int]]:
        """The human's messages in the take, as byte lists, without the handshake's probes."""
        return [e["bytes"] for e in self.events("human") if e["bytes"][:2] != [0xB0, PROBE_CC]]

    def interrupt(self, signum: int = signal.SIGINT) -> int:
        """Ctrl-C (or another stop signal); returns the exit status once the last message is heard."""
        self.proc.send_signal(signum)
        return self.wait()

    def wait(self, timeout: float = WAIT_S) -> int:
        """The exit status, after the performance's last message (All Notes Off) has crossed JACK."""
        rc = self.proc.wait(timeout=timeout)
        if STARTED in self.log():
            wait_for("All Notes Off at the end", self._all_notes_off_heard, timeout=10, detail=self._ending)
        return rc

    def _ending(self) -> str:
        """What was heard and sent last, and the log's tail (for a failure message)."""
        heard = [str(m) for _, m in self.heard[-3:]]
        sent = [e["msg"] for e in self.events("ai")[-3:]]
        return f"; last heard {heard}; last sent (the take) {sent}; log:\n{self.log()[-3000:]}"

    def _all_notes_off_heard(self) -> bool:
        return any(m.type == "control_change" and m.control == 123 for _, m in self.heard[-1:])

    def close(self) -> None:
        """Stop everything this stage started (also after a failed test)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        # The test's own clients are closed here, before the JACK server stops: left open, each made
        # jackd wait seconds at shutdown. (Closing a port whose peer had vanished used to block
        # inside rtmidi when inputs had interpreter callbacks; inputs are polled now.)
        self.listener.close()
        self.keyboard.close()
        self.lister.close()
        self._log.close()
        if self.terminal is not None:
            self.terminal.hang_up()


class Terminal:
    """A pseudo-terminal that a performance runs in as its controlling terminal, as in a real shell or
    ssh session; `hang_up()` closes it the way a closed window or a dropped connection does (the
    kernel sends SIGHUP, and writes to it fail from then on)."""

    def __init__(self) -> None:
        self._master, self._slave = os.openpty()
        self._out = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)

    def launch(self, cmd: list[str]) -> subprocess.Popen[bytes]:
        """Start `cmd` in its own session with this terminal as its controlling terminal."""
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "40"}
        slave = self._slave
        proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env,
                                start_new_session=True, preexec_fn=_take_terminal)  # fmt: skip
        os.close(slave)
        self._reader.start()
        return proc

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self._out += chunk

    def text(self) -> str:
        """Everything written to the terminal so far."""
        return self._out.decode(errors="replace")

    def hang_up(self) -> None:
        """Close the terminal (again: nothing)."""
        if self._master >= 0:
            os.close(self._master)
            self._master = -1


def _take_terminal() -> None:
    """In the child, after setsid(): make stdin (the pty) the controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


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
