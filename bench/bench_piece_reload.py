"""Parsing pieces beside a clock: the worst gap of a 1 ms ticker thread, and the hot-reload delay.

1. A thread sleeps 1 ms at a time and records each gap (what a clock thread sees of the GIL) while
   another thread of the same process loads a piece: a valid 10,000-section running order, and a
   1 MB file of half a million tiny values. Loaded in-process by the code of `--before DIR` (default:
   none; give a checkout of the previous version), in-process by this code, and through this code's
   parser process. Baseline: the ticker alone. The last column keeps only the gaps that ended while
   this process itself worked (in-process: the whole load; parser process: unpickling the reply);
   the rest, while another process parses, is the OS sharing the cores, not the interpreter lock.
2. Save → `Reloaded` delay of the live watcher (`PieceWatcher`, 50 ms debounce included) for
   pieces/mark_sat.yaml saved atomically 20 times, parsing in-process and through the parser process.
Prints markdown tables. Targets: ticker worst gap with the parser process within ~2x the baseline's;
reload ≤ 250 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def ticker_during(load: Callable[[], Any], ours: list[float] | None = None) -> dict[str, float]:
    """Run `load` on a thread while this thread ticks every 1 ms; the gaps while it ran (ms), and
    the worst of those that ended while this process itself worked (`ours`: [start, end], filled
    in by the load; the whole load when None)."""
    gaps: list[tuple[float, float]] = []
    done = threading.Event()
    worker = threading.Thread(target=lambda: (time.sleep(0.05), _quiet(load), done.set()))
    start = time.perf_counter()
    worker.start()
    last = start
    while not done.is_set():
        time.sleep(0.001)
        now = time.perf_counter()
        gaps.append(((now - last) * 1000, now))
        last = now
    worker.join()
    seconds = time.perf_counter() - start
    spans = sorted(g for g, _ in gaps)
    window = ours or [start, last]
    mine = [g for g, at in gaps if window[0] <= at <= window[-1] + 0.01] or [0.0]
    p99 = spans[int(0.99 * (len(spans) - 1))]
    return {"worst": spans[-1], "p99": p99, "seconds": seconds, "ours": max(mine)}


def _quiet(load: Callable[[], Any]) -> None:
    with contextlib.suppress(Exception):  # a piece refused is still a parse that ran
        load()


def measure(code: Path, mode: str, piece: Path, repeat: int) -> str:
    """`repeat` measurements, each in a fresh process with `code` first on the import path: the
    table cells (seconds, worst gap: median and largest of the runs, p99 gap: median)."""
    env = dict(os.environ, PYTHONPATH=str(code))
    args = [sys.executable, __file__, "--one", mode, str(piece)]
    runs = []
    for _ in range(repeat):
        done = subprocess.run(args, env=env, cwd=code, capture_output=True, text=True, check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    worst, ours = [r["worst"] for r in runs], [r["ours"] for r in runs]
    seconds, p99 = statistics.median(r["seconds"] for r in runs), statistics.median(r["p99"] for r in runs)
    return (f"{seconds:.2f} | {statistics.median(worst):.1f} ms (largest {max(worst):.1f}) | {p99:.1f} ms "
            f"| {statistics.median(ours):.1f} ms (largest {max(ours):.1f})")  # fmt: skip


def one(mode: str, piece: str) -> None:
    """(In the measuring process.) Print the ticker's gaps while `piece` loads the `mode` way, as JSON."""
    from conductor.piece import load_piece

    if mode == "idle":
        result = ticker_during(lambda: time.sleep(3.0))
    elif mode == "parser":
        import conductor.piece.parser as parser_module

        unpickled: list[float] = []
        result_of = parser_module._result

        def timed(reply: tuple[Any, ...]) -> Any:
            unpickled.append(time.perf_counter())
            try:
                return result_of(reply)
            finally:
                unpickled.append(time.perf_counter())

        parser_module._result = timed  # this process's only work: unpickling the reply
        parser = parser_module.PieceParser(timeout_s=300)
        parser.start()
        _quiet(lambda: parser.load(ROOT / "pieces" / "modes" / "duet.yaml"))  # started and warm
        unpickled.clear()
        result = ticker_during(lambda: parser.load(piece), unpickled)
        parser.close()
    else:
        load_piece(Path(ROOT / "pieces" / "modes" / "duet.yaml"))  # imports done before measuring
        result = ticker_during(lambda: load_piece(piece))
    print(json.dumps(result))


def reload_delays(parse: Callable[[Path], Any], saves: int = 20) -> list[float]:
    """Save → Reloaded (ms) for atomic saves of the concert set, each a new tempo."""
    from conductor.live.reload import PieceWatcher, Reloaded

    text = (ROOT / "pieces" / "mark_sat.yaml").read_text()
    delays: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mark_sat.yaml"
        path.write_text(text.replace("../models", str(ROOT / "models")))
        arrived = threading.Event()
        watcher = PieceWatcher(path, parse, lambda r: arrived.set() if isinstance(r, Reloaded) else None)
        watcher.start()
        try:
            for i in range(saves):
                arrived.clear()
                fresh = path.read_text().replace("tempo: ", f"tempo: {90 + i % 10}  # ", 1)
                staged = path.with_suffix(".tmp")
                staged.write_text(fresh)
                saved = time.perf_counter()
                os.replace(staged, path)
                if arrived.wait(10.0):
                    delays.append((time.perf_counter() - saved) * 1000)
                time.sleep(0.2)
        finally:
            watcher.stop()
    return delays


def main(argv: list[str]) -> int:
    """Print the ticker table and the reload table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="a checkout of the previous version (in-process row)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (default 3)")
    parser.add_argument("--one", nargs=2, metavar=("MODE", "PIECE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        one(*args.one)
        return 0
    sys.path.insert(0, str(ROOT))
    from tests.piece.hostile import STRUCTURE

    print("| piece | loaded | seconds | ticker worst gap: median of runs | ticker p99 gap "
          "| worst gap while this process worked |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    idle = measure(ROOT, "idle", ROOT / "pieces" / "mark_sat.yaml", args.repeat)
    print(f"| — | nothing (baseline) | {idle} |")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("ten-thousand-sections-valid", "half-a-million-zeros"):
            piece = Path(tmp) / f"{name}.yaml"
            piece.write_text(STRUCTURE[name])
            rows = [("in-process, before", args.before, "inprocess")] if args.before else []
            rows += [("in-process", ROOT, "inprocess"), ("parser process", ROOT, "parser")]
            for label, code, mode in rows:
                print(f"| {name} | {label} | {measure(code, mode, piece, args.repeat)} |")
    sys.path.insert(0, str(ROOT))
    from conductor.piece import load_piece
    from conductor.piece.parser import shared_parser

    shared_parser().start()
    print("\n| mark_sat.yaml saved atomically → Reloaded (50 ms debounce) | saves | median | p95 | max |")
    print("|---|---|---|---|---|")
    for label, parse in (("in-process parse", load_piece), ("parser process", shared_parser().load)):
        d = sorted(reload_delays(parse))
        p95 = d[int(0.95 * (len(d) - 1))] if d else float("nan")
        med, top = (statistics.median(d), d[-1]) if d else (float("nan"), float("nan"))
        print(f"| {label} | {len(d)} | {med:.0f} ms | {p95:.0f} ms | {top:.0f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
