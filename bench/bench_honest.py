"""Is the honest rehearsal honest? Its prediction against a live run over JACK, same piece, model, seed.

1. Rehearse `pieces/mark_sat.yaml` against the bundled human (`examples/mark_human.mid`) with measured
   timing (the default with a transformer): per section, first-note latency p50/p95 and notes dropped
   as late. This is what a musician sees before the gig.
2. Play it live: `conductor perform --virtual --midi-api jack` on a private JACK server (dummy
   driver, `bench.jack`), the human file sent into `conductor in` at its own times by this process,
   the output read on `conductor out` (`tests.live.harness.Stage`). The same numbers come from the
   live take log (`generation_end` events: first-note latency, notes dropped as late) plus the clock
   thread's late notes (`late` events).
3. Rehearse again against the human part the live run recorded (its take log): the same input at the
   same times as the stage heard it (the live human starts a second or two after the piece, once the
   ports are connected), so the difference to (2) is timing alone.

Tolerance (stated before measuring, from what separates the two paths): the live arrival is stamped
when the engine thread polls the worker's reply (≤ 5 ms later, plus queue transfer), and the machine
is shared, so load differs between runs. The rehearsal is honest if, over the whole piece, its
first-note p95 is within max(25 ms, 30 %) of the live one and its late-note count within max(10, 50 %).
Prints a markdown table; `--json` writes the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.jack import LATENCY as SERVER  # noqa: E402
from bench.jack import running_jack  # noqa: E402
from conductor.backends.base import Model  # noqa: E402
from conductor.backends.factory import build_model  # noqa: E402
from conductor.engine.runner import model_key  # noqa: E402
from conductor.engine.timing import Measured  # noqa: E402
from conductor.piece import load_piece  # noqa: E402
from conductor.piece.compiled import ModelSpec  # noqa: E402
from conductor.rehearse import HumanInput, read_human, rehearse  # noqa: E402
from conductor.rehearse.summary import first_note_latencies, percentile  # noqa: E402
from tests.live.harness import Stage  # noqa: E402

PIECE = ROOT / "pieces" / "mark_sat.yaml"
HUMAN = ROOT / "examples" / "mark_human.mid"


@dataclass
class Numbers:
    """One run's timing: per section (p50 ms, p95 ms, late notes, generations) and overall."""

    sections: dict[str, tuple[float, float, int, int]]
    p50: float
    p95: float
    late: int
    clock_late: int = 0  # notes the clock thread sent > 10 ms late (live only)

    @classmethod
    def of(cls, latencies: dict[str, list[float]], late: dict[str, int], clock_late: int = 0) -> Numbers:
        rows = {
            name: (percentile(v, 50) * 1000, percentile(v, 95) * 1000, late.get(name, 0), len(v))
            for name, v in latencies.items()
        }
        every = [x for v in latencies.values() for x in v]
        p50, p95 = percentile(every, 50) * 1000, percentile(every, 95) * 1000
        return cls(rows, p50, p95, sum(late.values()), clock_late)


def rehearsed(human: HumanInput, seed: int) -> Numbers:
    """An honest rehearsal of the piece against `human`."""
    piece = load_piece(PIECE)
    built: dict[ModelSpec, Model] = {}  # every model loaded up front, as `perform` loads its own first
    for section in piece.sections:
        if not section.silent and model_key(section.model) not in built:
            built[model_key(section.model)] = build_model(section.model, PIECE.parent)
    result = rehearse(piece, human, lambda spec: built[model_key(spec)], seed=seed, latency=Measured())
    late = {s.name: s.dropped_late for s in result.engine.stats.values()}
    return Numbers.of(first_note_latencies(result.take), late)


def live(seed: int, takes: Path) -> tuple[Numbers, Path, float]:
    """Perform the piece over JACK with the human file played in; (numbers, take log, human offset)."""
    human = read_human(HUMAN)
    with running_jack(SERVER):
        stage = Stage(PIECE, takes, "--seed", str(seed))
        try:
            start = _started_at(stage)
            t0 = time.monotonic()
            for t, msg in human.messages:
                time.sleep(max(0.0, t0 + t - time.monotonic()))
                stage.keyboard.send(msg)
            stage.wait(timeout=120)  # the piece ends itself (coda: then stop)
        finally:
            stage.close()
    events = stage.take_events()
    return _live_numbers(events), sorted(takes.glob("*.jsonl"))[-1], t0 - start


def _started_at(stage: Stage) -> float:
    """Monotonic time of the piece's t = 0, from the take log's last probe (approximately now)."""
    events = stage.take_events()
    return time.monotonic() - max((e["t"] for e in events), default=0.0)


def _live_numbers(events: list[dict[str, Any]]) -> Numbers:
    latencies: dict[str, list[float]] = {}
    late: dict[str, int] = {}
    for e in events:
        if e["kind"] == "generation_end":
            late[e["section"]] = late.get(e["section"], 0) + int(e["dropped_late"])
            if e["latency"] is not None:
                latencies.setdefault(e["section"], []).append(float(e["latency"]))
    clock_late = sum(int(e["count"]) for e in events if e["kind"] == "late")
    return Numbers.of(latencies, late, clock_late)


def within(predicted: Numbers, heard: Numbers) -> bool:
    """The stated tolerance: p95 within max(25 ms, 30 %), late notes within max(10, 50 %)."""
    p95_ok = abs(predicted.p95 - heard.p95) <= max(25.0, 0.3 * heard.p95)
    late_ok = abs(predicted.late - heard.late) <= max(10, 0.5 * heard.late)
    return p95_ok and late_ok


def table(runs: dict[str, Numbers]) -> str:
    """Markdown: one row per section, p50/p95/late per run, then the whole piece."""
    names = list(runs)
    head = "| section | " + " | ".join(f"{n}: p50 / p95 ms, late" for n in names) + " |"
    lines = [head, "|" + "---|" * (len(names) + 1)]
    sections = list(dict.fromkeys(s for r in runs.values() for s in r.sections))
    for s in sections:
        cells = [_cell(*r.sections[s][:3]) if s in r.sections else "-" for r in runs.values()]
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    whole = [_cell(r.p50, r.p95, r.late) for r in runs.values()]
    lines.append("| **whole piece** | " + " | ".join(whole) + " |")
    return "\n".join(lines)


def _cell(p50: float, p95: float, late: int) -> str:
    return f"{p50:.0f} / {p95:.0f}, {late}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the numbers here")
    args = parser.parse_args()
    load = [os.getloadavg()[0]]
    runs: dict[str, Numbers] = {"rehearsal (bundled human)": rehearsed(read_human(HUMAN), args.seed)}
    with tempfile.TemporaryDirectory() as tmp:
        load.append(os.getloadavg()[0])
        runs["live over JACK"], log, offset = live(args.seed, Path(tmp) / "takes")
        load.append(os.getloadavg()[0])
        runs["rehearsal (live's human)"] = rehearsed(read_human(log), args.seed)
    print(table(runs))
    heard = runs["live over JACK"]
    print(f"\nlive: human started {offset:.2f} s after the piece; clock thread late: {heard.clock_late}")
    print(f"load average (1 min) before the rehearsal, before and after the live run: {load} "
          f"on {os.cpu_count()} cores")  # fmt: skip
    for name in ("rehearsal (bundled human)", "rehearsal (live's human)"):
        print(f"{name} vs live: {'within' if within(runs[name], heard) else 'OUTSIDE'} the tolerance")
    if args.json:
        args.json.write_text(json.dumps({k: asdict(v) for k, v in runs.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
