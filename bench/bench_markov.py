"""Markov backend: observe and generate throughput, first-note latency, memory over an hour of input.

Baselines measured in the same run: the rate a performance needs (8 notes/s, a busy player, in real
time), the 16th-note budget at 120 bpm (125 ms) for the first note, and the memory after the first
10 minutes of input (growth after that must stay flat: the tables are capped).
Input: an hour at 8 notes/s, either a diatonic line (realistic) or random pitches, rhythms and
velocities (worst case: almost every context is new). `python bench/bench_markov.py`.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np

from conductor.backends.base import GenerationRequest
from conductor.backends.markov import MarkovModel
from conductor.core.events import Note
from conductor.core.timebase import Timebase
from conductor.piece.compiled import MarkovSpec, SamplingSpec

TB = Timebase(120.0)
RATE = 8.0  # notes per second of input: a busy player
HOUR = 3600.0
SCALE = [p for p in range(36, 100) if p % 12 in {0, 2, 4, 5, 7, 9, 11}]


def stream(seconds: float, kind: str, seed: int = 0) -> Iterator[list[Note]]:
    """One second of notes at a time: a diatonic walk or random everything."""
    rng = np.random.default_rng(seed)
    idx, n_per_s = SCALE.index(72), int(RATE)
    for sec in range(int(seconds)):
        notes = []
        for i in range(n_per_s):
            if kind == "diatonic":
                idx = int(np.clip(idx + rng.choice([-2, -1, 1, 2]), 7, len(SCALE) - 8))
                pitch, dur, vel = SCALE[idx], 0.1, 80
            else:
                pitch, dur, vel = (
                    int(rng.integers(36, 96)),
                    float(rng.uniform(0.03, 2.0)),
                    int(rng.integers(1, 128)),
                )
            notes.append(Note(sec + i / n_per_s + float(rng.uniform(0, 0.02)), dur, pitch, vel))
        yield sorted(notes, key=lambda n: n.end)  # notes arrive when they end


def model_with_tempo(order: int = 4) -> MarkovModel:
    return MarkovModel(MarkovSpec(order=order), timebase=TB)


def observe_rate(kind: str) -> tuple[float, MarkovModel]:
    """Notes observed per second of CPU time over an hour of input, and the model that learnt it."""
    model = model_with_tempo()
    chunks = list(stream(HOUR, kind))
    t0 = time.perf_counter()
    for chunk in chunks:
        model.observe(chunk)
    return len(chunks) * RATE / (time.perf_counter() - t0), model


def memory_curve(kind: str) -> list[tuple[int, float, int]]:
    """(minutes, MiB held by the model, contexts) after 10, 30 and 60 minutes of input."""
    tracemalloc.start()
    base = tracemalloc.take_snapshot()
    model = model_with_tempo()
    out = []
    for sec, chunk in enumerate(stream(HOUR, kind), 1):
        model.observe(chunk)
        if sec in (600, 1800, 3600):
            mib = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(base, "filename")) / 2**20
            out.append((sec // 60, mib, len(model.live)))
    tracemalloc.stop()
    return out


def request(model_notes: list[Note], now: float, events: int, seed_weight: float = 0.0) -> GenerationRequest:
    context = tuple(n for n in model_notes if now - 8.0 <= n.onset < now)
    return GenerationRequest(
        context=context, origin=now - 8.0, start=now, until=now + 1e6, timebase=TB, max_events=events,
        sampling=SamplingSpec(seed=1), markov=MarkovSpec(order=4, seed_weight=seed_weight),
    )  # fmt: skip


def generate_rate(
    model: MarkovModel, kind: str, events: int = 256, seed_weight: float = 0.0
) -> tuple[float, float]:
    """(notes generated per second, ms to the first note), median of 5 generations after an hour."""
    tail = [n for chunk in stream(20.0, kind, seed=7) for n in chunk]
    rates, firsts = [], []
    for g in range(5):
        req = request(tail, 20.0, events, seed_weight)
        t0 = time.perf_counter()
        gen = model.generate(req)
        next(gen)
        firsts.append(time.perf_counter() - t0)
        n = 1 + sum(1 for _ in gen)
        rates.append(n / (time.perf_counter() - t0))
        del g
    return float(np.median(rates)), float(np.median(firsts)) * 1000


def save_load(model: MarkovModel) -> tuple[float, float, float]:
    """(MiB on disk, ms to save, ms to load) of the model after an hour."""
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "take.markov.json"
        t0 = time.perf_counter()
        model.save(path)
        t1 = time.perf_counter()
        MarkovModel.load(path)
        t2 = time.perf_counter()
        return path.stat().st_size / 2**20, (t1 - t0) * 1000, (t2 - t1) * 1000


def row(what: str, value: float, unit: str, base: float) -> str:
    return f"| {what} | {value:,.1f} {unit} | {value / base:,.1f} |"


def main() -> None:
    """Print the markdown table."""
    print("| what | measured | × baseline |\n|---|---:|---:|")
    print(row("real-time need: a busy player (baseline)", RATE, "notes/s", RATE))
    for kind in ("diatonic", "random"):
        rate, model = observe_rate(kind)
        print(row(f"`observe`, hour of {kind} input", rate, "notes/s", RATE))
        gen, first = generate_rate(model, kind)
        print(row(f"`generate` after the hour ({kind}), 256 notes", gen, "notes/s", RATE))
        print(
            f"| first note after the hour ({kind}) | {first:.2f} ms | {first / 125:.3f} of a 16th (125 ms) |"
        )
        mib, save_ms, load_ms = save_load(model)
        print(f"| saved model ({kind}) | {mib:.1f} MiB, save {save_ms:.0f} ms, load {load_ms:.0f} ms | |")
        curve = memory_curve(kind)
        base = curve[0][1]
        for minutes, held, contexts in curve:
            print(f"| memory after {minutes} min of {kind} input | {held:.1f} MiB, {contexts:,} contexts "
                  f"| {held / base:.2f} |")  # fmt: skip


if __name__ == "__main__":
    main()
