"""The stage page and OSC beside a clock: what serving them costs the performance process.

- encoding: the server thread's work for one frame, every field changed or only `now`;
- frames: a feeder thread replaces the view 100 times a second (as an engine thread would: `now`
  moves, a note is added every 0.25 s, ~300 notes on the roll); two websocket clients in another
  process (as browsers are) count the frames and bytes they get a second;
- clock: a loop in the performance process waking every 5 ms (sleep to 1 ms before, then spin), each
  wake's lateness against its own deadline — alone, with the page served to those two clients, and
  with the OSC receiver taking a flood of 20,000 datagrams a second from another process.

`--perform` measures instead the clock's lateness in a real `conductor perform --virtual` over JACK
with the page open in headless chromium (and with OSC in and out) against the same performance
without them (bench/stage_perform.py). Prints a markdown table.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from conductor.stage.frames import FrameEncoder  # noqa: E402
from conductor.stage.osc_in import OscReceiver  # noqa: E402
from conductor.stage.osc_map import OscAction, OscMap, OscParam  # noqa: E402
from conductor.stage.server import StageServer  # noqa: E402
from conductor.stage.view import NoteRow, ViewBox  # noqa: E402
from tests.stage.scripted import RecordingCommands, view_at  # noqa: E402

SECONDS = 5.0
REPEATS = 3


class ThreadCpu:
    """The CPU time one thread of this process uses from now on, as a share of the wall time."""

    def __init__(self, thread: threading.Thread | None) -> None:
        assert thread is not None and thread.ident is not None
        self._clock = time.pthread_getcpuclockid(thread.ident)
        self._cpu, self._wall = time.clock_gettime(self._clock), time.perf_counter()

    def share(self) -> float:
        return (time.clock_gettime(self._clock) - self._cpu) / (time.perf_counter() - self._wall)


def percentile(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def clock_lateness(seconds: float = SECONDS) -> tuple[float, float, float]:
    """(p50, p99, max ms) of 5 ms wake-ups, each against its own deadline."""
    late = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        deadline = time.perf_counter() + 0.005
        time.sleep(0.004)
        while time.perf_counter() < deadline:
            pass
        late.append((time.perf_counter() - deadline) * 1000)
    return statistics.median(late), percentile(late, 0.99), max(late)


def feed(box: ViewBox, stop: threading.Event) -> None:
    """Replace the view 100 times a second, as the engine thread would."""
    base = view_at(40.0)
    human = list(base.human) * 10  # ~300 notes on the roll
    t0, k = time.perf_counter(), 0
    while not stop.is_set():
        now = 40.0 + time.perf_counter() - t0
        if k % 25 == 0:
            human = [*human[1:], NoteRow(round(now, 3), 0.2, 60 + k % 12, 80)]
        box.set(replace(base, now=now, human=tuple(human) if k % 25 == 0 else box.latest()[1].human))
        k += 1
        stop.wait(0.01)


def clients(port: int, seconds: float, out: Any) -> None:
    """Two websocket clients (another process, as browsers are): frames and bytes each got."""
    import aiohttp

    async def one(http: aiohttp.ClientSession) -> tuple[int, int]:
        frames = size = 0
        async with http.ws_connect(f"http://127.0.0.1:{port}/ws", max_msg_size=0) as ws:
            await ws.receive()  # the first, whole view
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                msg = await ws.receive()
                if msg.type is not aiohttp.WSMsgType.TEXT:  # the server closed: the performance ended
                    break
                frames, size = frames + 1, size + len(msg.data)
        return frames, size

    async def both() -> list[tuple[int, int]]:
        async with aiohttp.ClientSession() as http:
            return list(await asyncio.gather(one(http), one(http)))

    out.put(asyncio.run(both()))


def flood(port: int, seconds: float) -> None:
    """20,000 OSC datagrams a second for `seconds` (another process)."""
    from pythonosc.udp_client import SimpleUDPClient

    client = SimpleUDPClient("127.0.0.1", port)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.monotonic()
        for i in range(200):
            client.send_message("/fader/1", (i % 100) / 100)
        time.sleep(max(0.0, 0.01 - (time.monotonic() - t)))


def with_page() -> tuple[tuple[float, float, float], list[tuple[float, int]]]:
    box, stop = ViewBox(view_at(40.0)), threading.Event()
    server = StageServer(box, RecordingCommands(), "127.0.0.1", 0)
    server.start()
    feeder = threading.Thread(target=feed, args=(box, stop))
    feeder.start()
    spawn = multiprocessing.get_context("spawn")
    out = spawn.Queue()
    proc = spawn.Process(target=clients, args=(server.port, SECONDS, out))
    proc.start()
    while server.clients < 2:
        time.sleep(0.01)
    cpu = ThreadCpu(server._thread)
    late = clock_lateness()
    got = out.get(timeout=60)
    got.append((cpu.share(), 0))
    proc.join()
    stop.set()
    feeder.join()
    server.stop()
    return late, got


def with_osc_flood() -> tuple[tuple[float, float, float], dict[str, float]]:
    mapping = OscMap(
        (OscAction("/conductor/next", "next"),), (OscParam("/fader/1", "temperature", 0.8, 1.3),)
    )
    receiver = OscReceiver(mapping, RecordingCommands(), "127.0.0.1", 0)
    _, port = receiver.start()
    proc = multiprocessing.get_context("spawn").Process(target=flood, args=(port, SECONDS + 1.0))
    proc.start()
    time.sleep(0.5)
    cpu = ThreadCpu(receiver._thread)
    late = clock_lateness()
    share = cpu.share()
    proc.join()
    receiver.stop()
    return late, {**receiver.counts, "cpu": share}


def encode_cost() -> tuple[float, float]:
    """(ms to encode a view whose every field changed, ms for one whose `now` alone changed), ~450
    notes on the roll, median of 200 — the server thread's work per frame."""
    base = view_at(40.0)
    big = replace(base, human=base.human * 20, ai=base.ai * 20, plan=base.plan * 10)
    full, small = [], []
    for i in range(200):
        encoder = FrameEncoder()
        t0 = time.perf_counter()
        encoder.fragments(1, big)
        t1 = time.perf_counter()
        encoder.fragments(2, replace(big, now=41.0 + i))
        full.append((t1 - t0) * 1000)
        small.append((time.perf_counter() - t1) * 1000)
    return statistics.median(full), statistics.median(small)


def main() -> None:
    if "--perform" in sys.argv[1:]:
        perform()
        return
    full, small = encode_cost()
    runs: dict[str, list[tuple[float, float, float]]] = {"alone": [], "page": [], "osc": []}
    for _ in range(REPEATS):  # interleaved: a shared machine's load drifts
        runs["alone"].append(clock_lateness())
        late, got = with_page()
        runs["page"].append(late)
        late, counts = with_osc_flood()
        runs["osc"].append(late)
    p99 = {k: statistics.median(r[1] for r in v) for k, v in runs.items()}
    worst = {k: max(r[2] for r in v) for k, v in runs.items()}
    print("| measure | result | baseline |")
    print("|---|---|---|")
    print(f"| encoding a frame: every field / `now` only (~450 notes) | {full:.2f} / {small:.3f} ms | |")
    server_cpu = got.pop()[0]
    print(f"| the server thread's CPU, 2 clients, views 100/s | {server_cpu * 100:.1f} % of a core | |")
    print(f"| the OSC receiver thread's CPU, flood 20,000/s | {counts['cpu'] * 100:.1f} % of a core | |")
    for i, (frames, size) in enumerate(got, 1):
        rate = f"{frames / SECONDS:.1f}, {size / SECONDS / 1000:.1f}"
        print(f"| page client {i}: frames/s, kB/s | {rate} | ≥ 20 frames/s |")
    for key, what in (("page", "page served to 2 clients"), ("osc", "OSC flood 20,000/s")):
        result, alone = (
            f"{p99[key]:.2f} / {worst[key]:.2f} ms",
            f"{p99['alone']:.2f} / {worst['alone']:.2f} ms",
        )
        print(f"| 5 ms wake-ups, p99 (median of {REPEATS}) / worst, {what} | {result} | alone {alone} |")
    sent = int(20000 * (SECONDS + 1))
    print(f"| OSC flood (last run): messages parsed / ignored / params sent | {counts['messages']:,.0f} / "
          f"{counts['ignored']:,.0f} / {counts['params']:,.0f} | {sent:,} sent |")  # fmt: skip


def perform() -> None:
    from bench.jack import running_jack
    from bench.stage_perform import REALTIME, perform_rows
    from bench.stage_perform import REPEATS as RUNS
    from bench.stage_perform import SECONDS as LENGTH

    with running_jack():
        rows = perform_rows()
    fifo = ", clock thread at SCHED_FIFO" if REALTIME else ""
    print(f"| {LENGTH:.0f} s performances{fifo}, {RUNS} of each, interleaved | clock thread: p50 / p99 "
          "(median) / worst | heard: p50 / p99 (median) / worst | page frames/s |")  # fmt: skip
    print("|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
