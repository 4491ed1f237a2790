"""A piano-roll PNG of a take: human and AI in two colours, sections shaded and labelled."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from conductor.core.events import Source
from conductor.rehearse.take import Take

COLOURS = {Source.HUMAN: "#1f77b4", Source.AI: "#e6550d"}


def plot_take(take: Take, path: Path, title: str = "") -> Path:
    """Draw the take into `path` (matplotlib, Agg backend; nothing is shown). Returns `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    end = max(take.end(), 1.0)
    fig, ax = plt.subplots(figsize=(max(8.0, min(24.0, end / 8)), 5), dpi=100)
    _shade_sections(ax, take, end)
    for source in (Source.HUMAN, Source.AI):
        _draw_notes(ax, take, source)
    ax.set_xlim(0, end)
    ax.set_ylim(20, 109)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("MIDI pitch")
    ax.set_title(title, loc="left")
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, frameon=False, fontsize=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():  # a section name in a script the font lacks: boxes, not a warning
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        fig.tight_layout()
        fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path


def _draw_notes(ax: Any, take: Take, source: Source) -> None:
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    notes = take.notes(source)
    boxes = [Rectangle((n.onset, n.pitch - 0.4), max(n.duration, 0.02), 0.8) for n in notes]
    ax.add_collection(PatchCollection(boxes, facecolor=COLOURS[source], edgecolor="none", alpha=0.85))
    ax.plot([], [], color=COLOURS[source], linewidth=6, label=f"{source.value} ({len(notes)} notes)")


def _shade_sections(ax: Any, take: Take, end: float) -> None:
    starts = take.sections
    for i, (t, name) in enumerate(starts):
        stop = starts[i + 1][0] if i + 1 < len(starts) else end
        ax.axvspan(t, stop, color="#999999" if i % 2 else "#dddddd", alpha=0.3, linewidth=0)
        ax.text(t + 0.2, 106, name, fontsize=9, va="top")
