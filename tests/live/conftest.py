"""A private JACK server (dummy driver) for the live tests, and helpers to talk to it.

JACK's shared-memory registry holds only a few server names ("Too many servers already active"), so
the tests always use ONE fixed name, `conductor-tests` (or `$CONDUCTOR_TEST_JACK`), never one per run
or per test. A file lock (`$TMPDIR/<name>.lock`) held for the whole session makes a second test run
on the same machine wait for the first instead of fighting over the name. Each test that needs it
gets a fresh server under that name (about a second): after several performances' clients came and
went on one dummy-driver server, client calls here started to block. The server is stopped with
SIGTERM and waited for; one left behind by a killed run (same name, nobody holding the lock) is
stopped first. `JACK_DEFAULT_SERVER` points `conductor perform` subprocesses at it. Without jackd
the JACK tests are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

SERVER = os.environ.get("CONDUCTOR_TEST_JACK", "conductor-tests")
# Realtime where allowed (root or an rtprio limit; elsewhere jackd says it cannot and runs as before):
# under a loaded machine (load 5 on 2 cores here) a non-realtime server's threads miss cycles and
# JACK drops MIDI messages — about one in a few hundred, enough to fail a test that counts them.
JACKD = ["jackd", "-n", SERVER, "-R", "-P", "70", "-d", "dummy", "-r", "48000", "-p", "256"]


@pytest.fixture(scope="session")
def jack_lock() -> Iterator[None]:
    """Hold the machine-wide lock on the test server's name for this session (waits for another run)."""
    if shutil.which("jackd") is None:
        pytest.skip("jackd is not installed (Debian package jackd2; .ci/run installs it)")
    path = Path(tempfile.gettempdir()) / f"{SERVER}.lock"
    with path.open("w") as lock:
        _acquire(lock, path)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _acquire(lock: IO[str], path: Path) -> None:
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"\nanother test run holds {path}; waiting for it", file=sys.stderr)
        fcntl.flock(lock, fcntl.LOCK_EX)


@pytest.fixture
def jack_server(jack_lock: None) -> Iterator[str]:
    """The name of a freshly started private JACK server (skips the test if it cannot start)."""
    _stop_stale()
    env = {**os.environ, "JACK_NO_AUDIO_RESERVATION": "1"}
    proc = subprocess.Popen(
        JACKD,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_die_with_parent,
    )
    old = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = SERVER
    try:
        _wait_ready(proc)
        yield SERVER
    finally:
        _stop(proc)
        if old is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = old


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()  # jackd waits for the clients still connected: give it time
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _stop_stale() -> None:
    """Stop a jackd serving our name that an earlier, killed run left behind (we hold the lock)."""
    kill_server(signal.SIGTERM)


def kill_server(signum: int = signal.SIGKILL) -> int:
    """Send `signum` to every jackd serving the test server's name and wait until each is gone (a
    test's "jackd died mid-show"); returns how many there were."""
    killed = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if argv and argv[0].endswith(b"jackd") and SERVER.encode() in argv:
                os.kill(int(entry.name), signum)
                _wait_gone(int(entry.name))
                killed += 1
    return killed


def _wait_gone(pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _running(pid):
        time.sleep(0.05)


def _running(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie, dead but not yet reaped by its parent, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies (a killed pytest leaves no jackd behind)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _wait_ready(proc: subprocess.Popen[str]) -> None:
    done = subprocess.run(["jack_wait", "-s", SERVER, "-w", "-t", "20"], capture_output=True, text=True)
    if "available" not in done.stdout:
        proc.terminate()
        err = proc.communicate(timeout=10)[1]
        pytest.skip(f"jackd server {SERVER} did not start: {done.stdout.strip()} {err.strip()}")
