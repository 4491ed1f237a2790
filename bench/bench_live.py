"""Live performance timing over real JACK ports (dummy driver, started here).

1. Clock-thread lateness (send time − deadline, measured at the sending side) for 1000 notes 5 ms
   apart sent to a JACK port: idle (baseline); while a transformer (SkyTNT tv2o-small, random
   weights, torch threads = cores − 1) generates non-stop in the worker process; the same with the
   clock thread at SCHED_FIFO.
2. A whole `Performance` in this process (Markov model, `changes_on: now`), driven through JACK:
   footswitch CC → section changed in the engine; atomic save of the piece → reload applied
   (debounce 50 ms included); cadence trigger → first AI note heard on our input port.
Prints a markdown table. Targets: p99 lateness ≤ 2 ms while the model generates; reload ≤ 250 ms.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mido  # noqa: E402

from bench.jack import running_jack  # noqa: E402
from conductor.backends.base import GenerationRequest  # noqa: E402
from conductor.core.events import Note, Source  # noqa: E402
from conductor.core.timebase import Timebase  # noqa: E402
from conductor.engine.clock import RealClock  # noqa: E402
from conductor.engine.runner import GenerationDone, GenerationFailed  # noqa: E402
from conductor.engine.scheduler import Scheduler  # noqa: E402
from conductor.engine.take_events import GenerationStarted  # noqa: E402
from conductor.live.perform import Performance, PerformOptions  # noqa: E402
from conductor.live.port_watch import PortLister  # noqa: E402
from conductor.live.ports import VIRTUAL_IN, VIRTUAL_OUT, backend, open_input  # noqa: E402
from conductor.live.process_runner import ProcessRunner  # noqa: E402
from conductor.live.sender import Sender  # noqa: E402
from conductor.piece import load_piece  # noqa: E402
from conductor.piece.compiled import ModelSpec  # noqa: E402

PIECE = """title: Bench
tempo: 120
meter: 4/4
changes_on: now
model: {kind: markov}
midi: {ai_channel: 2}
controls:
  - {cc: 80, action: {goto: b}}
  - {cc: 81, action: {goto: a}}
defaults: {cadence: {every: 1 bars}, output: {events: 8, horizon: 1 bars}}
sections:
  - {name: a, mode: duet, length: footswitch}
  - {name: b, mode: duet, length: footswitch, then: {goto: a}}
"""


def lateness(port: Any, runner: ProcessRunner | None, realtime: bool) -> Any:
    """Send 1000 notes 5 ms apart through the clock thread; the runner (if any) generates meanwhile."""
    clock, scheduler = RealClock(), Scheduler()
    sender = Sender(scheduler, port, clock, realtime=realtime)
    sender.start()
    t0 = clock.now() + 0.2
    for i in range(1000):
        scheduler.add(Note(t0 + 0.005 * i, 0.003, 60 + i % 24, 80, 0, Source.AI), 0)
    sender.wake()
    gen = 0
    while clock.now() < t0 + 5.1:
        if (runner is not None and gen == 0) or _finished(runner, gen):
            gen += 1
            assert runner is not None
            runner.start(_request(gen))
        time.sleep(0.005)
    sender.stop()
    return sender.clock_lateness()


def _finished(runner: ProcessRunner | None, gen: int) -> bool:
    if runner is None:
        return False
    return any(isinstance(e, GenerationDone | GenerationFailed) for e in runner.poll())


def _request(gen: int) -> GenerationRequest:
    ctx = tuple(Note(i * 0.25, 0.2, 60 + (i * 5) % 12, 80) for i in range(32))
    return GenerationRequest(context=ctx, origin=0.0, start=8.0, until=40.0, timebase=Timebase(120),
                             max_events=48, generation=gen)  # fmt: skip


def lateness_rows() -> list[tuple[str, Any]]:
    be = backend("jack")
    port = be.open_output("bench out", virtual=True)
    rows = [("clock thread, idle (baseline)", lateness(port, None, False))]
    runner = ProcessRunner(ModelSpec(kind="skytnt", config="tv2o-small"), None, RealClock())
    runner.wait_ready(300)
    rows.append(("clock thread, transformer generating in the worker", lateness(port, runner, False)))
    rows.append(("same, clock thread at SCHED_FIFO", lateness(port, runner, True)))
    runner.close()
    return rows


def drive(perf: Performance, piece_path: Path, results: dict[str, list[float]]) -> None:
    """The musician: plays, presses the footswitch, edits the piece; then stops the performance."""
    lister = PortLister("jack")
    while not any(VIRTUAL_IN in n for n in lister.names().outputs) or perf.opened.engine is None:
        time.sleep(0.05)
    be = backend("jack")
    keys = be.open_output(next(n for n in lister.names().outputs if VIRTUAL_IN in n))
    heard: list[float] = []
    ears = open_input(
        "jack", VIRTUAL_OUT, lambda m: m.type == "note_on" and heard.append(perf.clock.now()), False
    )
    engine, rec = perf.opened.engine, perf.opened.recorder
    assert engine is not None and rec is not None
    triggers: list[float] = []
    original = rec.record
    rec.record = lambda e, t: (isinstance(e, GenerationStarted) and triggers.append(t), original(e, t))
    for pitch in (60, 62, 64, 65, 67, 69, 71, 72) * 2:
        keys.send(mido.Message("note_on", note=pitch, velocity=80))
        time.sleep(0.1)
        keys.send(mido.Message("note_off", note=pitch))
    time.sleep(3.0)
    for i in range(10):
        before, t0 = engine.section.name, perf.clock.now()
        keys.send(mido.Message("control_change", control=80 + i % 2, value=127))
        while engine.section.name == before:
            time.sleep(0.0002)
        results["footswitch"].append(perf.clock.now() - t0)
        keys.send(mido.Message("control_change", control=80 + i % 2, value=0))
        time.sleep(0.4)
    for i in range(5):
        tmp = piece_path.with_name(".bench.tmp")
        tmp.write_text(PIECE.replace("title: Bench", f"title: Bench {i}"))
        t0 = time.monotonic()
        os.replace(tmp, piece_path)
        while engine.piece.title != f"Bench {i}":
            time.sleep(0.0005)
        results["reload"].append(time.monotonic() - t0)
        time.sleep(0.5)
    for t in triggers:
        first = [h for h in heard if h >= t]
        if first and first[0] - t < 2.0:
            results["first_note"].append(first[0] - t)
    ears.stop_reading()
    perf.request_stop("bench done")


def performance_rows() -> dict[str, list[float]]:
    folder = Path(tempfile.mkdtemp())
    piece_path = folder / "bench.yaml"
    piece_path.write_text(PIECE)
    opts = PerformOptions(virtual=True, midi_api="jack", display=False, takes=folder / "takes", duration=120)
    perf = Performance(load_piece(piece_path), opts)
    results: dict[str, list[float]] = {"footswitch": [], "reload": [], "first_note": []}
    threading.Thread(target=drive, args=(perf, piece_path, results), daemon=True).start()
    perf.run()
    shutil.rmtree(folder, ignore_errors=True)
    return results


def ms(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] * 1000.0 if s else float("nan")


def main() -> None:
    with running_jack():
        rows = lateness_rows()
        perf = performance_rows()
    base = rows[0][1].p99_ms or 1e-9
    print("| what | n | p50 ms | p99 ms | max ms | p99 × idle |\n|---|---:|---:|---:|---:|---:|")
    for name, s in rows:
        cells = f"{s.count} | {s.p50_ms:.3f} | {s.p99_ms:.3f} | {s.max_ms:.3f} | {s.p99_ms / base:.1f}"
        print(f"| {name} | {cells} |")
    print("\n| what | n | median ms | max ms | target |\n|---|---:|---:|---:|---|")
    labels = {"footswitch": ("footswitch CC → section changed (changes_on: now)", "—"),
              "reload": ("atomic save → reload applied (50 ms debounce included)", "≤ 250 ms"),
              "first_note": ("cadence trigger → first AI note heard over JACK (Markov)", "—")}  # fmt: skip
    for key, values in perf.items():
        label, target = labels[key]
        med = statistics.median(values) * 1000 if values else float("nan")
        print(f"| {label} | {len(values)} | {med:.1f} | {ms(values, 1.0):.1f} | {target} |")


if __name__ == "__main__":
    main()
