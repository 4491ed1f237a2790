"""Clock lateness of a real `conductor perform --virtual` over JACK with the stage page open, against the
same performance without it (part of bench/bench_stage.py: `python bench/bench_stage.py --perform`).

Each run is a whole `Performance` in this process (as bench_live.py runs one): the scripted model
playing 16 notes a bar at 180 bpm (24 messages a second) for `SECONDS`, and the clock thread's own
lateness (from when it could first send) and the lateness as heard (send − deadline) over the whole
run, read from its `Sender`. Conditions, interleaved `REPEATS` times (a shared machine's load drifts):
- alone: no page, no OSC (the views are not even built);
- 2 websocket clients: `--web`, two clients in another process taking every frame (as browsers on a
  tablet and a laptop are: the cost to the performing process alone);
- page: `--web` with the page open in headless chromium on this machine (it draws the roll at the
  screen's rate and takes every frame; its rendering shares the machine's cores);
- page + OSC: the same, and OSC in (a fader moved 50 times a second from another process) and out
  (the state sent to a local port).
`BENCH_STAGE_REALTIME=1` runs the clock thread at SCHED_FIFO (`--realtime`), as on stage where allowed.
The browser is started (on a blank page) before the performance; it opens the page as soon as the
server is up, while the model worker starts, so its own start-up is not measured.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from conductor.live.lateness import Lateness
from conductor.live.perform import Performance, PerformOptions
from conductor.live.stage_link import StageOptions
from conductor.live.stage_view import ViewBuilder
from conductor.piece import load_piece
from conductor.piece.names import Param
from conductor.piece.osc import OscParamMapping, OscSpec
from tests.stage.browser import chromium, wait_until

SECONDS = float(os.environ.get("BENCH_STAGE_SECONDS", "30"))
REPEATS = int(os.environ.get("BENCH_STAGE_REPEATS", "2"))
REALTIME = os.environ.get("BENCH_STAGE_REALTIME") == "1"  # the clock thread at SCHED_FIFO (`--realtime`)
PIECE = """title: Stage bench
tempo: 180
changes_on: beat
model: {kind: scripted, config: arpeggio}
sections:
  - {name: a, mode: duet, length: footswitch, cadence: {every: 1 bars}, output: {events: 16, horizon: 1 bars}}
"""

FADER = OscParamMapping("/fader/1", Param.TEMPERATURE, 0.8, 1.3)


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fader(port: int, seconds: float) -> None:
    """Another process: move /fader/1 50 times a second."""
    from pythonosc.udp_client import SimpleUDPClient

    client, end, i = SimpleUDPClient("127.0.0.1", port), time.monotonic() + seconds, 0
    while time.monotonic() < end:
        client.send_message("/fader/1", (i % 100) / 100)
        i += 1
        time.sleep(0.02)


def open_page(driver: Any, perf: Performance, url: str) -> None:
    """Once the server is up: open the page and wait for its first frame."""
    while perf.link.server is None:
        time.sleep(0.01)
    driver.get(url)
    wait_until(driver, lambda d: d.execute_script("return window.stage.frames > 0"), timeout=60)


def connect_clients(perf: Performance, out: Any) -> None:
    """Once the server is up: two websocket clients in another process (bench_stage.clients)."""
    from bench.bench_stage import clients

    while perf.link.server is None:
        time.sleep(0.01)
    spawn = multiprocessing.get_context("spawn")
    spawn.Process(target=clients, args=(perf.link.server.port, SECONDS, out), daemon=True).start()


BUILDS: list[float] = []  # seconds per view built, on the engine thread (every run with a page)


def time_builds() -> None:
    """Count what building each view costs the engine thread (this benchmark's process only)."""
    build = ViewBuilder.build

    def timed(self: ViewBuilder, status: Any, facts: Any) -> Any:
        t0 = time.perf_counter()
        view = build(self, status, facts)
        BUILDS.append(time.perf_counter() - t0)
        return view

    ViewBuilder.build = timed  # type: ignore[method-assign]


def one_run(condition: str, driver: Any, folder: Path) -> tuple[Lateness, Lateness, float]:
    """(clock lateness, heard lateness, page frames a second) of one performance."""
    web = ("127.0.0.1", free_port()) if condition != "alone" else None
    osc = send = None
    if condition == "page + OSC":
        osc, send = ("127.0.0.1", free_port(socket.SOCK_DGRAM)), ("127.0.0.1", free_port(socket.SOCK_DGRAM))
    opts = PerformOptions(virtual=True, midi_api="jack", display=False, takes=folder, duration=SECONDS,
                          realtime=REALTIME, stage=StageOptions(web=web, osc=osc, osc_send=send))  # fmt: skip
    piece = load_piece(folder.parent / "bench.yaml")
    perf = Performance(piece if osc is None else replace(piece, osc=OscSpec(params=(FADER,))), opts)
    out = multiprocessing.get_context("spawn").Queue()
    helper = None
    if condition == "2 websocket clients":
        helper = threading.Thread(target=connect_clients, args=(perf, out), daemon=True)
    elif web is not None:
        helper = threading.Thread(target=open_page, args=(driver, perf, f"http://{web[0]}:{web[1]}/"))
    if helper is not None:
        helper.start()
    moving = None
    if osc is not None:
        moving = multiprocessing.Process(target=fader, args=(osc[1], SECONDS + 5), daemon=True)
        moving.start()
    perf.run()
    if moving is not None:
        moving.terminate()
    sender = perf.opened.sender
    assert sender is not None
    return sender.clock_lateness(), sender.heard_lateness(), _frames(condition, driver, helper, out)


def _frames(condition: str, driver: Any, helper: threading.Thread | None, out: Any) -> float:
    """Frames a second the page (or the first websocket client) got."""
    if helper is None:
        return 0.0
    helper.join()
    if condition == "2 websocket clients":
        return float(out.get(timeout=60)[0][0]) / SECONDS
    frames = int(driver.execute_script("return window.stage.frames"))
    driver.get("about:blank")
    return frames / SECONDS


CONDITIONS = ("alone", "2 websocket clients", "page", "page + OSC")


def perform_rows() -> list[str]:
    """Markdown rows: p50 / p99 / worst of each condition (median of p50s and p99s, worst of worsts)."""
    folder = Path(tempfile.mkdtemp(prefix="conductor-bench-stage-"))
    (folder / "bench.yaml").write_text(PIECE)
    runs: dict[str, list[tuple[Lateness, Lateness, float]]] = {c: [] for c in CONDITIONS}
    time_builds()
    try:
        with chromium(1280, 800) as driver:
            for _ in range(REPEATS):
                for condition, results in runs.items():
                    results.append(one_run(condition, driver, folder / "takes"))
                    print(f"# {condition}: {results[-1]}", file=sys.stderr)  # kept if a later run fails
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rows = []
    for condition, results in runs.items():
        clock = _summary([r[0] for r in results])
        heard = _summary([r[1] for r in results])
        frames = statistics.median(r[2] for r in results)
        shown = f"{frames:.1f}" if frames else "-"
        rows.append(f"| `perform`, {condition} | {clock} | {heard} | {shown} |")
    builds = sorted(b * 1000 for b in BUILDS)
    p50, p99, worst = statistics.median(builds), builds[int(0.99 * len(builds))], builds[-1]
    rows.append(f"| building a view on the engine thread (25/s): median / p99 / worst | "
                f"{p50:.2f} / {p99:.2f} / {worst:.2f} ms ({len(builds)} views) | | |")  # fmt: skip
    return rows


def _summary(values: list[Lateness]) -> str:
    p50 = statistics.median(v.p50_ms for v in values)
    p99 = statistics.median(v.p99_ms for v in values)
    worst = max(v.max_ms for v in values)
    sends = sum(v.count for v in values)
    return f"{p50:.3f} / {p99:.3f} / {worst:.2f} ms ({sends} sends)"
