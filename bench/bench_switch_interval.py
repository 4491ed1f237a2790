"""The interpreter's switch interval and `gc.freeze()` against the clock thread's lateness.

FIELD_NOTES: a thread waking from sleep waits for the interpreter lock up to the switch interval
(5 ms by default) while another thread runs Python; a full garbage collection stops every thread.
`conductor perform` could call `sys.setswitchinterval(0.001)` and `gc.freeze()` once the model has
loaded. This measures whether either makes the clock thread keep time better, in ONE run, the four
settings interleaved round by round so that the machine's load falls on all of them alike.

Each round and setting: the real clock thread (`Sender`, a `Scheduler`, a virtual JACK output on a
private dummy-driver server) sends 1000 notes 5 ms apart (2000 messages), while this process does
what a performance's main process does besides: an engine-like thread (notes into a bounded memory,
short-lived garbage, a compiled piece unpickled every 0.5 s as a reload) and a display-like thread
(the stage display rendered four times a second). The process has imported what `perform` imports
and loaded `pieces/mark_sat.yaml` first (what `gc.freeze()` would freeze).

`python bench/bench_switch_interval.py [ROUNDS]` (default 3). Prints a markdown table: clock thread
alone (send − max(deadline, first seen)) and as heard (send − deadline): p50 and p99 of the median
round, the worst max.
"""

from __future__ import annotations

import gc
import pickle
import sys
import threading
import time
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.jack import running_jack  # noqa: E402
from conductor.core.events import Note, Source  # noqa: E402
from conductor.engine.clock import RealClock  # noqa: E402
from conductor.engine.scheduler import Scheduler  # noqa: E402
from conductor.live import perform  # noqa: E402, F401  (what a performance's process has imported)
from conductor.live.display import StageInfo, render_text  # noqa: E402
from conductor.live.lateness import Lateness  # noqa: E402
from conductor.live.ports import OutputPort, open_output  # noqa: E402
from conductor.live.sender import Sender  # noqa: E402
from conductor.piece import load_piece  # noqa: E402

SETTINGS = {  # name: (switch interval s, gc.freeze())
    "default: switch 5 ms, no freeze": (0.005, False),
    "switch interval 1 ms": (0.001, False),
    "gc.freeze() after load": (0.005, True),
    "both": (0.001, True),
}
ROUNDS = 3
NOTES = 1000


def engine_like(stop: threading.Event, piece_bytes: bytes) -> None:
    """Python work like the engine thread's: memory, garbage, a reload's unpickle every 0.5 s."""
    memory: deque[Note] = deque(maxlen=20_000)
    next_reload = time.monotonic()
    i = 0
    while not stop.is_set():
        memory.extend(Note(i * 0.01, 0.1, 40 + i % 40, 80, 0, Source.HUMAN) for i in range(i, i + 200))
        _ = [{"t": n.onset, "pitch": n.pitch} for n in list(memory)[-500:]]  # short-lived containers
        i += 200
        if time.monotonic() >= next_reload:
            pickle.loads(piece_bytes)
            next_reload += 0.5
        time.sleep(0.002)


def display_like(stop: threading.Event) -> None:
    """The stage display: a full render four times a second."""
    info = StageInfo(
        piece="Bench", section="fours", worker="markov (order 4) — ready (pid 1)", heard="p99 0.1 ms"
    )
    while not stop.is_set():
        render_text(info, width=100)
        time.sleep(0.25)


Run = tuple[Lateness, Lateness, list[float]]  # clock thread alone, as heard, full-collection pauses


def one_run(port: OutputPort, piece_bytes: bytes) -> Run:
    """1000 notes 5 ms apart through the clock thread while the two load threads run."""
    clock, scheduler = RealClock(), Scheduler()
    collections = FullCollections()
    gc.callbacks.append(collections)
    sender = Sender(scheduler, port, clock)
    stop = threading.Event()
    loads = [
        threading.Thread(target=engine_like, args=(stop, piece_bytes), daemon=True),
        threading.Thread(target=display_like, args=(stop,), daemon=True),
    ]
    for thread in loads:
        thread.start()
    sender.start()
    t0 = clock.now() + 0.3
    for i in range(NOTES):
        scheduler.add(Note(t0 + 0.005 * i, 0.003, 60 + i % 24, 80, 0, Source.AI), 0)
    sender.wake()
    time.sleep(0.3 + NOTES * 0.005 + 0.2)
    sender.stop()
    stop.set()
    for thread in loads:
        thread.join()
    gc.callbacks.remove(collections)
    return sender.clock_lateness(), sender.heard_lateness(), collections.pauses_ms


class FullCollections:
    """Times every full (generation 2) garbage collection: each one stops every thread, the clock's too."""

    def __init__(self) -> None:
        self.pauses_ms: list[float] = []
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.pauses_ms.append((time.perf_counter() - self._began) * 1000.0)


def apply(switch: float, freeze: bool) -> None:
    sys.setswitchinterval(switch)
    gc.unfreeze()
    gc.collect()
    if freeze:
        gc.freeze()


def main(rounds: int = ROUNDS) -> None:
    piece = load_piece(ROOT / "pieces" / "mark_sat.yaml")
    piece_bytes = pickle.dumps(piece)
    results: dict[str, list[Run]] = {name: [] for name in SETTINGS}
    with running_jack():
        port = open_output("jack", None, virtual=True)
        for _ in range(rounds):
            for name, (switch, freeze) in SETTINGS.items():
                apply(switch, freeze)
                results[name].append(one_run(port, piece_bytes))
                print(f"{name}: clock p99 {results[name][-1][0].p99_ms:.3f} ms", file=sys.stderr, flush=True)
        port.close()
    apply(0.005, False)
    print(f"frozen objects with gc.freeze(): {count_frozen()}")
    print(
        "| setting | clock p50 ms | clock p99 ms | clock max ms | heard p99 ms | heard max ms | full GCs "
        "| longest GC ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, runs in results.items():
        clock, heard = [r[0] for r in runs], [r[1] for r in runs]
        pauses = [p for r in runs for p in r[2]]
        print(
            f"| {name} | {_mid(c.p50_ms for c in clock):.3f} | {_mid(c.p99_ms for c in clock):.3f} | "
            f"{max(c.max_ms for c in clock):.3f} | {_mid(h.p99_ms for h in heard):.3f} | "
            f"{max(h.max_ms for h in heard):.3f} | {len(pauses)} | {max(pauses, default=0.0):.1f} |"
        )
    print(
        f"({rounds} rounds of {2 * NOTES} messages per setting; p50/p99: the median round's; max: the worst)"
    )


def count_frozen() -> int:
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    gc.unfreeze()
    return frozen


def _mid(values: object) -> float:
    ordered = sorted(values)  # type: ignore[call-overload]
    return float(ordered[len(ordered) // 2])


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS)
