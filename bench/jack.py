"""A private JACK server (dummy driver) for the live benchmarks, always under one fixed name.

JACK's shared-memory registry holds only a few server names ("Too many servers already active"):
benchmarks reuse `conductor-bench`, never a name per run, and stop the server cleanly (SIGTERM, then
wait). `JACK_DEFAULT_SERVER` points this process and its children at it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator

NAME = "conductor-bench"
LATENCY = "conductor-latency"  # the long latency benchmarks (bench_honest, bench_window, soak): they
# run for minutes and must not share a server with a shorter benchmark started meanwhile


@contextlib.contextmanager
def running_jack(name: str = NAME, period: int = 256) -> Iterator[str]:
    """Start `jackd -n NAME -d dummy` (realtime where allowed, as the tests' server), wait until it
    serves, stop it at the end."""
    os.environ["JACK_DEFAULT_SERVER"] = name
    cmd = ["jackd", "-n", name, "-R", "-P", "70", "-d", "dummy", "-r", "48000", "-p", str(period)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        subprocess.run(["jack_wait", "-s", name, "-w", "-t", "20"], check=True, capture_output=True)
        yield name
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
