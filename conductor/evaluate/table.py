"""A take's evaluation as a rich table: one row per section, then the whole take."""

from __future__ import annotations

from rich.table import Table

from conductor.evaluate.metrics import Ratio
from conductor.evaluate.report import Evaluation, SectionResult

COLUMNS = (
    "section",
    "mode",
    "key",
    "notes ai/hu",
    "in key",
    "pc cos",
    "plays",
    "answer",
    "sync (rand)",
    "run ai/hu",
    "cluster",
    "0-len",
    "chord",
    "density",
)
MODE_INFERRED = "mode: ? = inferred from the notes (no --piece), with the piece's key filter after /; "
MODE_FROM_PIECE = "mode: the piece's, with its key filter after /; "
CAPTION = (
    "key: the "
    "human's; in key: AI notes in it; pc cos: pitch-class cosine AI vs human; plays: share of bars "
    "(trading: AI turns) with AI notes; answer: AI interval 3-grams found in the human phrase before; "
    "sync: AI onsets within 60 ms of a human onset (random onsets in the same bars); run: longest "
    "repeated pitch; cluster: most AI notes struck within 30 ms; 0-len: AI notes under 20 ms; chord: "
    "AI notes in the bar's chord (from the human); density: AI notes per human note. docs/evaluate.md"
)


def evaluation_table(evaluation: Evaluation, title: str | None = None) -> Table:
    """Every section's metrics and the whole take's, with a caption that names each column."""
    table = Table(title=title or f"Evaluation: {evaluation.source}", caption=caption(evaluation),
                  caption_justify="left")  # fmt: skip
    for column in COLUMNS:
        table.add_column(column, justify="left" if column in ("section", "mode", "key") else "right")
    for result in evaluation.sections:
        table.add_row(*cells(result))
    table.add_section()
    table.add_row(*cells(evaluation.whole), style="bold")
    return table


def caption(evaluation: Evaluation) -> str:
    """The legend: '? = inferred' only when a section's mode was inferred (no --piece, or a section
    the piece lacks)."""
    inferred = any(r.mode_from != "piece" for r in evaluation.sections)
    return (MODE_INFERRED if inferred else MODE_FROM_PIECE) + CAPTION


def cells(r: SectionResult) -> list[str]:
    """One row of the table."""
    return [
        r.name,
        _mode(r),
        r.key or "-",
        f"{r.ai_notes}/{r.human_notes}",
        _share(r.in_key),
        _number(r.pc_cosine),
        _share(r.presence),
        _share(r.answer_overlap),
        "-" if r.sync.value is None else f"{_share(r.sync)} ({_share(r.sync_random)})",
        f"{r.run_ai}/{r.run_human}",
        str(r.cluster),
        str(r.zero_length),
        _share(r.chord_tones),
        _number(r.density_ratio),
    ]


def _mode(r: SectionResult) -> str:
    if r.mode_from == "whole":
        return ""
    mode = (r.mode or "?") + ("?" if r.mode_from == "inferred" else "")
    return mode if r.key_filter is None else f"{mode} / key {r.key_filter}"


def _share(ratio: Ratio) -> str:
    return _number(ratio.value)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
