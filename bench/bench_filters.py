"""Filters, key detection and memory lookups: cost per call, against plain baselines in the same run.

Baselines: music21's own `stream.analyze('key')` for key detection; a linear scan for a memory
window. Prints a markdown table.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from conductor.core.events import Note, Source
from conductor.core.keys import _detect_cached, detect_key
from conductor.core.timebase import Span, Timebase, Unit
from conductor.engine.filters import FilterContext, apply_filters
from conductor.engine.memory import Memory
from conductor.piece.compiled import (
    DensityFilter,
    KeyFilter,
    MelodyFilter,
    RangeFilter,
    VelocityFilter,
)


def per_call(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds per call over 5 rounds of `repeat` calls."""
    rounds = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(repeat):
            fn()
        rounds.append((time.perf_counter() - t0) / repeat)
    return sorted(rounds)[2]


def melody(rng: random.Random, count: int) -> list[Note]:
    scale = [60, 62, 64, 65, 67, 69, 71]
    return [Note(i * 0.25, 0.25 * rng.randint(1, 3), rng.choice(scale), 80) for i in range(count)]


def key_rows(rng: random.Random) -> list[tuple[str, float, float]]:
    from music21 import note, stream

    notes = melody(rng, 30)
    s = stream.Stream()
    for n in notes:
        s.insert(n.onset, note.Note(n.pitch, quarterLength=n.duration))
    base = per_call(lambda: s.analyze("key"), 5)

    def uncached() -> None:
        _detect_cached.cache_clear()
        detect_key(notes)

    return [
        ("music21 `analyze('key')`, 30 notes (baseline)", base, base),
        ("`detect_key`, 30 notes, cache cleared", per_call(uncached, 200), base),
        ("`detect_key`, 30 notes, cached", per_call(lambda: detect_key(notes), 2000), base),
    ]


def filter_rows(rng: random.Random) -> list[tuple[str, float, float]]:
    notes = sorted(melody(rng, 64), key=lambda n: n.onset)
    ctx = FilterContext(0.0, 100.0, tuple(notes[:32]), Timebase(), 2.0, seed=1)
    chain = (
        KeyFilter(),
        MelodyFilter(),
        DensityFilter(keep=0.8, max_per_second=6, complement=True),
        RangeFilter(48, 84),
        VelocityFilter(scale=0.8),
    )
    base = per_call(lambda: apply_filters((), notes, ctx), 200) / len(notes)
    full = per_call(lambda: apply_filters(chain, notes, ctx), 200) / len(notes)
    return [
        ("filter chain, turn window only, per note (baseline)", base, base),
        ("filter chain, key+melody+density+range+velocity, per note", full, base),
    ]


def memory_rows(rng: random.Random) -> list[tuple[str, float, float]]:
    memory = Memory(max_notes=8192, max_age_s=1e9)
    notes = [Note(i * 0.1, 0.1, rng.randint(40, 90), 80, 0, Source.HUMAN) for i in range(8192)]
    memory.extend(notes)
    tb, now = Timebase(), notes[-1].onset
    span = Span(4, Unit.BARS)

    def scan() -> list[Note]:
        return [n for n in notes if now - 8.0 <= n.onset <= now][-64:]

    base = per_call(scan, 200)
    window = per_call(lambda: memory.window(now, span, [Source.HUMAN], tb, 64), 2000)
    add = per_call(lambda: memory.add(Note(now, 0.1, 60, 80)), 2000)
    return [
        ("memory window 4 bars of 8192 notes, linear scan (baseline)", base, base),
        ("`Memory.window` 4 bars of 8192 notes (bisect)", window, base),
        ("`Memory.add` at the cap (8192 notes, prunes one)", add, base),
    ]


def main() -> None:
    """Print the table."""
    rng = random.Random(0)
    rows = key_rows(rng) + filter_rows(rng) + memory_rows(rng)
    print("| what | µs per call | × baseline |")
    print("|---|---:|---:|")
    for name, seconds, base in rows:
        print(f"| {name} | {seconds * 1e6:.1f} | {seconds / base:.3f} |")


if __name__ == "__main__":
    main()
