"""The take recorder: what recording costs the clock thread, and how fast the writer thread goes.

- enqueue: the cost of `TakeRecorder.ai()` on the calling (clock) thread, against a bare
  `SimpleQueue.put` of the same tuple — the least any hand-off to another thread costs;
- writer: items a second through the `.jsonl` (every item in its own try/except), with and without
  one bad item in ten (logged once, counted);
- an hour's `.mid`: building and saving a take of 100,000 messages (the writer does it every 10 s);
- clock: a loop waking every 5 ms, each wake's lateness, alone and while the writer thread rewrites
  that hour's `.mid` back to back (the interpreter lock is shared: a thread waking from sleep waits
  up to `sys.getswitchinterval()`, 5 ms, for a busy thread to let go of it).

Prints a markdown table.
"""

from __future__ import annotations

import queue
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mido  # noqa: E402

from conductor.engine.take_events import SectionStarted  # noqa: E402
from conductor.live.recorder import TakeRecorder  # noqa: E402

N = 100_000
ON = mido.Message("note_on", channel=2, note=60, velocity=80)
OFF = mido.Message("note_off", channel=2, note=60)


def percentile(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def enqueue_cost() -> tuple[float, float, float]:
    """(bare put p50 µs, ai() p50 µs, ai() p99 µs), each call timed alone."""
    bare: queue.SimpleQueue[object] = queue.SimpleQueue()
    base = []
    for i in range(N):
        t1 = time.perf_counter()
        bare.put((i * 0.01, "ai", ON))
        base.append((time.perf_counter() - t1) * 1e6)
    with tempfile.TemporaryDirectory() as folder:
        rec = TakeRecorder(Path(folder), "bench", 120)  # not started: only the calling side is timed
        samples = []
        for i in range(N):
            t1 = time.perf_counter()
            rec.ai(ON if i % 2 == 0 else OFF, i * 0.01)
            samples.append((time.perf_counter() - t1) * 1e6)
        rec.close()
    return statistics.median(base), statistics.median(samples), percentile(samples, 0.99)


def writer_rate(bad_every: int = 0) -> float:
    """Items a second from the first `ai()` to the end of `close()`."""
    with tempfile.TemporaryDirectory() as folder:
        rec = TakeRecorder(Path(folder), "bench", 120)
        rec.start()
        t0 = time.perf_counter()
        for i in range(N):
            bad = bad_every and i % bad_every == 0
            rec.ai("not a message" if bad else (ON if i % 2 == 0 else OFF), i * 0.01)  # type: ignore[arg-type]
        rec.close()
        return N / (time.perf_counter() - t0)


def hour_take(folder: Path) -> TakeRecorder:
    """A recorder holding an hour of dense playing (100,000 messages, a section a minute)."""
    rec = TakeRecorder(folder, "bench", 120, midi_every_s=1e9)
    for i in range(N // 2):
        rec._handle((i * 0.072, "ai", ON), write=False)
        rec._handle((i * 0.072 + 0.05, "ai", OFF), write=False)
        if i % 833 == 0:
            rec._handle((i * 0.072, None, SectionStarted(f"s{i}", i, "duet")), write=False)
    rec._backlog.clear()
    return rec


def midi_seconds() -> float:
    with tempfile.TemporaryDirectory() as folder:
        rec = hour_take(Path(folder))
        t0 = time.perf_counter()
        rec._write_midi()
        elapsed = time.perf_counter() - t0
        rec.close()
        return elapsed


def clock_lateness(busy: bool, seconds: float = 4.0) -> tuple[float, float, float]:
    """(p50, p99, max ms) of a loop waking every 5 ms (sleep to 1 ms before, then spin), each wake
    measured against its own deadline (a late wake does not make the next one late); with `busy`,
    the writer thread rewrites an hour's .mid meanwhile, back to back."""
    stop = threading.Event()
    with tempfile.TemporaryDirectory() as folder:
        rec = hour_take(Path(folder))
        writer = threading.Thread(target=lambda: [rec._write_midi() for _ in iter(stop.is_set, True)])
        if busy:
            writer.start()
        late = []
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            deadline = time.perf_counter() + 0.005
            time.sleep(0.004)
            while time.perf_counter() < deadline:
                pass
            late.append((time.perf_counter() - deadline) * 1000)
        stop.set()
        if busy:
            writer.join()
        rec.close()
    return statistics.median(late), percentile(late, 0.99), max(late)


def main() -> None:
    base, p50, p99 = enqueue_cost()
    clean, faulty = writer_rate(), writer_rate(bad_every=10)
    build = midi_seconds()
    quiet, loaded = clock_lateness(False), clock_lateness(True)
    print("| measure | result | baseline | ratio |")
    print("|---|---|---|---|")
    print(
        f"| `ai()` on the calling thread, p50 | {p50:.2f} µs | bare put {base:.2f} µs | {p50 / base:.1f}× |"
    )
    print(f"| `ai()` on the calling thread, p99 | {p99:.2f} µs | | |")
    print(f"| writer, items/s | {clean:,.0f} | | |")
    print(f"| writer, items/s, 1 bad in 10 | {faulty:,.0f} | clean {clean:,.0f} | {faulty / clean:.2f}× |")
    print(f"| an hour's .mid (100,000 messages), build + save | {build:.2f} s | | |")
    print(f"| 5 ms wake-ups, lateness p50 / p99 / max, while that .mid is rewritten back to back "
          f"| {loaded[0]:.2f} / {loaded[1]:.2f} / {loaded[2]:.2f} ms "
          f"| alone {quiet[0]:.2f} / {quiet[1]:.2f} / {quiet[2]:.2f} ms | |")  # fmt: skip


if __name__ == "__main__":
    main()
