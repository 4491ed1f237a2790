"""The per-section summary of a rehearsal, as a rich table, and the verdict on this machine.

First-note latency is the time from a trigger to its generation's first decoded note (what a
`GenerationEnded` records); its p50/p95 are taken per section over the generations that produced a
note. With measured timing (an honest rehearsal) those numbers are this machine's compute, so the
notes the engine dropped as late are the notes the stage would play late — hence the verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.table import Table

from conductor.engine.generation import SectionStats
from conductor.engine.take_events import GenerationEnded
from conductor.engine.timing import Measured, Timing
from conductor.rehearse.take import Take

COLUMNS = ("section", "notes in", "notes out", "gens", "too late", "errors", "first p50", "first p95")


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-th percentile (0..100) of `values`, linearly interpolated (NaN if empty)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    pos = (len(ordered) - 1) * q / 100
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def first_note_latencies(take: Take) -> dict[str, list[float]]:
    """Section name → first-note latency (s) of each of its generations that produced a note."""
    found: dict[str, list[float]] = {}
    for _, ended in take.of(GenerationEnded):
        if ended.latency is not None:
            found.setdefault(ended.section, []).append(ended.latency)
    return found


def summary_table(
    stats: list[SectionStats],
    title: str = "Rehearsal",
    latencies: dict[str, list[float]] | None = None,
    measured: bool = False,
) -> Table:
    """One row per section: notes in/out, generations, notes dropped too late, errors, first-note
    latency p50/p95 (from `latencies`; the section's mean for both when none are given)."""
    table = Table(title=title)
    for column in COLUMNS:
        table.add_column(column, justify="left" if column == "section" else "right", no_wrap=True)
    clock = "measured compute on this machine" if measured else "simulated model time (--latency)"
    table.caption = f"first: time from a trigger to its first note, {clock}"
    for s in stats:
        values = (latencies or {}).get(s.name) or ([s.mean_latency] if s.mean_latency is not None else [])
        p50, p95 = (_ms(percentile(values, q)) for q in (50, 95))
        table.add_row(
            s.name, str(s.notes_in), str(s.notes_out), str(s.generations),
            str(s.dropped_late), str(s.errors), p50, p95,
        )  # fmt: skip
    return table


def timing_line(latency: Timing) -> str:
    """What moves the virtual clock, in one line."""
    if isinstance(latency, Measured):
        slower = "" if latency.scale == 1.0 else f", charged {latency.scale:g}x"
        return f"timing: measured on this machine{slower}"
    return f"timing: simulated ({latency.first:g} s first, {latency.per_event:g} s per event)"


def verdict(stats: list[SectionStats], measured: bool) -> str:
    """One line: can this machine play the piece live? Only measured timing can say."""
    late = sum(s.dropped_late for s in stats)
    if not measured:
        return (
            f"simulated model time: {late} notes late in rehearsal, no verdict on this machine "
            "(--timing measured charges the model's measured compute)"
        )
    can = "can" if late == 0 else "cannot"
    notes = "note" if late == 1 else "notes"
    return f"this machine {can} play this piece live ({late} {notes} would be late)"


def _ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.0f} ms"
