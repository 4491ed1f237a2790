"""Engine and rehearsal: scheduler cost per note and rehearsal speed, against baselines in the same run.

Baselines: a bare `heapq` push/pop of plain tuples (what any scheduler must at least do) for the
scheduler; real time (1 s of music per second) for rehearsals. Prints a markdown table.
"""

from __future__ import annotations

import heapq
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from conductor.backends.base import Model  # noqa: E402
from conductor.backends.factory import build_model  # noqa: E402
from conductor.backends.scripted import ScriptedModel  # noqa: E402
from conductor.core.events import Note, Source  # noqa: E402
from conductor.engine.scheduler import Scheduler  # noqa: E402
from conductor.engine.timing import Latency  # noqa: E402
from conductor.piece import load_piece  # noqa: E402
from conductor.piece.compiled import MarkovSpec, ModelSpec  # noqa: E402
from conductor.rehearse import read_human, rehearse  # noqa: E402

NOTES = 20_000


def bare_heap() -> float:
    """Seconds per note: push note-on and note-off tuples, pop them all."""
    t0 = time.perf_counter()
    heap: list[tuple[float, int, int]] = []
    for i in range(NOTES):
        heapq.heappush(heap, (i * 0.1, 1, i))
        heapq.heappush(heap, (i * 0.1 + 0.3, 0, i))
    while heap:
        heapq.heappop(heap)
    return (time.perf_counter() - t0) / NOTES


def scheduler() -> float:
    """Seconds per note through `Scheduler.add` and `due` (messages built, note-offs guaranteed)."""
    s = Scheduler()
    t0 = time.perf_counter()
    for i in range(NOTES):
        s.add(Note(i * 0.1, 0.3, 40 + i % 48, 80, 2, Source.AI), i // 16)
        if i % 16 == 15:
            s.due(i * 0.1)
    s.due(1e12)
    return (time.perf_counter() - t0) / NOTES


def rehearsal(piece: str, backend: str) -> tuple[float, float]:
    """(music seconds, wall seconds) of a rehearsal of `piece` against the bundled human.

    backend: "scripted" (an arpeggio, no model cost), "markov" (the piece's commented alternative,
    seeded from the Bach chorales) or "piece" (the model the piece names: the bundled transformer).
    """
    p = load_piece(ROOT / piece)
    human = read_human(ROOT / "examples" / "mark_human.mid")
    scripted = ScriptedModel("arpeggio")
    markov = ModelSpec(kind="markov", markov=MarkovSpec(order=4, seed=("corpus:bach",), seed_weight=0.3))

    def model_for(spec: ModelSpec) -> Model:
        if backend == "scripted":
            return scripted
        return build_model(markov if backend == "markov" else spec, ROOT / "pieces")

    t0 = time.perf_counter()
    result = rehearse(p, human, model_for)
    return result.end, time.perf_counter() - t0


def main() -> None:
    base = bare_heap()
    sched = scheduler()
    rows = [
        ("bare heapq push/pop of a note's 2 events (baseline)", f"{base * 1e6:.2f} µs/note", "1.0"),
        ("`Scheduler.add` + `due`, per note", f"{sched * 1e6:.2f} µs/note", f"{sched / base:.1f}"),
        ("real time (baseline)", "1.0 s music/s", "1.0"),
    ]
    backends = (
        ("scripted model", "scripted"),
        ("Markov model (corpus:bach seed)", "markov"),
        ("bundled transformer, float16 (as in the piece)", "piece"),
    )
    for label, backend in backends:
        music, wall = rehearsal("pieces/mark_sat.yaml", backend)
        speed = music / wall
        rows.append((f"rehearse mark_sat.yaml, {label}", f"{music:.0f} s in {wall:.2f} s", f"{speed:.0f}"))
    print(f"latency model: {Latency()}\n")
    print("| what | measured | × baseline |\n|---|---:|---:|")
    for what, measured, ratio in rows:
        print(f"| {what} | {measured} | {ratio} |")


if __name__ == "__main__":
    main()
