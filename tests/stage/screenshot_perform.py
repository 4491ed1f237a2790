"""Screenshots of the stage page of a real performance, for docs/: `conductor perform pieces/mark_sat.yaml
--virtual --web` (the bundled model) on a private JACK server, the bundled rehearsal part
(examples/mark_human.mid) played into it through JACK in real time, the page drawn by headless chromium
once the AI is answering in the trading fours with its plan ahead of now.

    python tests/stage/screenshot_perform.py   # writes docs/stage-perform.png, docs/stage-perform-tablet.png
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import mido  # noqa: E402

from bench.jack import running_jack  # noqa: E402
from conductor.live.ports import VIRTUAL_IN, PortLister, backend  # noqa: E402
from tests.stage.browser import chromium_missing  # noqa: E402
from tests.stage.screenshot import shoot  # noqa: E402

SHOTS = {"stage-perform.png": (1600, 1000, False), "stage-perform-tablet.png": (834, 1194, True)}
PIECE = ROOT / "pieces" / "mark_sat.yaml"
HUMAN = ROOT / "examples" / "mark_human.mid"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def view(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/view", timeout=5) as answer:
        return dict(json.load(answer))


def wait(what: str, check: Any, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.1)


def play(stop: threading.Event) -> None:
    """The rehearsal part, in real time, into `conductor in`."""
    lister = PortLister("jack")
    port = backend("jack").open_output(next(n for n in lister.names().outputs if VIRTUAL_IN in n))
    try:
        for msg in mido.MidiFile(HUMAN).play():
            if stop.is_set():
                break
            port.send(msg)
    finally:
        port.close()
        lister.close()


def answering(port: int) -> bool:
    v = view(port)
    return v["section"] == "fours" and len(v["plan"]) >= 6 and len(v["ai"]) >= 6 and len(v["human"]) >= 6


def main() -> int:
    missing = chromium_missing()
    if missing:
        print(f"cannot take screenshots: {missing}", file=sys.stderr)
        return 1
    port, stop = free_port(), threading.Event()
    with running_jack(), tempfile.TemporaryDirectory() as takes:
        log = Path(takes) / "perform.log"
        cmd = [sys.executable, "-m", "conductor", "perform", str(PIECE), "--virtual", "--midi-api", "jack",
               "--no-display", "--takes", takes, f"--web=127.0.0.1:{port}"]  # fmt: skip
        with log.open("w") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            wait("the performance to start", lambda: "performance started" in log.read_text())
            threading.Thread(target=play, args=(stop,), daemon=True).start()
            wait("the AI answering in the fours", lambda: answering(port))
            for name, (width, height, mobile) in SHOTS.items():
                shoot(f"http://127.0.0.1:{port}/", ROOT / "docs" / name, width, height, mobile)
                print(f"docs/{name}")
        finally:
            stop.set()
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
