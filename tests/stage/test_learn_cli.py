"""`conductor learn --osc` as a musician runs it: a real process, real UDP on localhost."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from pythonosc.udp_client import SimpleUDPClient

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_learn_osc_prints_the_mapping_lines() -> None:
    port = free_udp_port()
    command = [sys.executable, "-m", "conductor", "learn", "--osc", f"127.0.0.1:{port}", "--count", "3"]
    proc = subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    client = SimpleUDPClient("127.0.0.1", port)
    end = time.monotonic() + 60.0  # a failure guard: sent again until the process has learnt them
    while proc.poll() is None and time.monotonic() < end:
        client.send_message("/conductor/next", 1.0)
        client.send_message("/fader/1", 0.42)
        time.sleep(0.05)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert f"Send OSC to 127.0.0.1:{port}" in out
    assert "- {osc: /conductor/next, action: next}    # controls:" in out
    assert "- {osc: /fader/1, param: temperature, range: [0.7, 1.3]}    # params:" in out


def test_learn_osc_on_a_bad_port_says_so() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "conductor", "learn", "--osc", "127.0.0.1:99999"],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "error: --osc '127.0.0.1:99999': the port must be a number 0..65535" in done.stderr
