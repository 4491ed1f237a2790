"""The per-section summary of a rehearsal, as a rich table."""

from __future__ import annotations

from rich.table import Table

from conductor.engine.generation import SectionStats


def summary_table(stats: list[SectionStats], title: str = "Rehearsal") -> Table:
    """One row per section: notes in/out, generations, notes dropped too late, errors, mean latency."""
    table = Table(title=title)
    for column in ("section", "notes in", "notes out", "gens", "too late", "errors", "latency"):
        table.add_column(column, justify="left" if column == "section" else "right", no_wrap=True)
    table.caption = "latency: mean time to a generation's first note, in model (logical) time"
    for s in stats:
        latency = "-" if s.mean_latency is None else f"{s.mean_latency * 1000:.0f} ms"
        table.add_row(
            s.name,
            str(s.notes_in),
            str(s.notes_out),
            str(s.generations),
            str(s.dropped_late),
            str(s.errors),
            latency,
        )
    return table
