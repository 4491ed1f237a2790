"""A private JACK server (dummy driver) for the live tests, and helpers to talk to it.

The fixture starts `jackd --no-realtime -d dummy -r 48000 -p 256` under a unique server name and
points `JACK_DEFAULT_SERVER` at it (inherited by `conductor perform` subprocesses), so tests never
touch a JACK server someone else runs. Each test gets a fresh server (about a second): after several
performances' clients came and went on one dummy-driver server, client calls here started to block.
Without jackd the JACK tests are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator

import pytest


@pytest.fixture
def jack_server() -> Iterator[str]:
    """The name of a running private JACK server (skips the test if jackd is not installed)."""
    if shutil.which("jackd") is None:
        pytest.skip("jackd is not installed (Debian package jackd2; .ci/run installs it)")
    name = f"conductor-test-{os.getpid()}"  # one name: each new server name takes a registry slot
    env = {**os.environ, "JACK_NO_AUDIO_RESERVATION": "1"}
    cmd = ["jackd", "-n", name, "--no-realtime", "-d", "dummy", "-r", "48000", "-p", "256"]
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_die_with_parent,
    )
    old = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = name
    try:
        _wait_ready(proc, name)
        yield name
    finally:
        proc.terminate()  # jackd waits for the clients still connected: give it time
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if old is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = old


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies (a killed pytest leaves no jackd behind)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _wait_ready(proc: subprocess.Popen[str], name: str) -> None:
    done = subprocess.run(["jack_wait", "-s", name, "-w", "-t", "20"], capture_output=True, text=True)
    if "available" not in done.stdout:
        proc.terminate()
        err = proc.communicate(timeout=10)[1]
        pytest.skip(f"jackd server {name} did not start: {done.stdout.strip()} {err.strip()}")
