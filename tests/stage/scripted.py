"""A scripted performance for the stage tests: a recording `StageCommands` and realistic views of
pieces/mark_sat.yaml's running order (the performance builds the real ones in phase 2)."""

from __future__ import annotations

import random
import threading
from dataclasses import replace

from conductor.stage.view import NoteRow, ParamRow, SectionRow, StageView

RUNNING_ORDER = (
    SectionRow("prelude", "listen", "4 bars"),
    SectionRow("conversation", "duet", "12 bars"),
    SectionRow("fours", "trading", "32 bars"),
    SectionRow("comping", "ai_chords", "16 bars"),
    SectionRow("ai_takes_it", "ai_solo", "12 bars"),
    SectionRow("coda", "duet", "4 bars"),
)
BAR = 2.5  # seconds at 96 bpm in 4/4
REJECTED = (
    "pieces/mark_sat.yaml:61:13: sections[2].length: expected a length like '8 bars', '32 beats' or "
    "'45 s', got 'thirty-two bars'\n  suggestion: write the number in digits: length: 32 bars"
)


class RecordingCommands:
    """Records every press and parameter change, from any thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.presses: list[tuple[str, str | None]] = []
        self.params: list[tuple[str, float]] = []
        self.changed = threading.Condition(self.lock)

    def press(self, action: str, target: str | None = None) -> None:
        with self.changed:
            self.presses.append((action, target))
            self.changed.notify_all()

    def set_param(self, name: str, value: float) -> None:
        with self.changed:
            self.params.append((name, value))
            self.changed.notify_all()

    def wait_for(self, predicate: object, timeout: float = 15.0) -> bool:
        """Wait until `predicate(self)` holds (a failure guard, not a timing threshold)."""
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout)  # type: ignore[operator]


def trading_notes(
    now: float, seed: int = 1
) -> tuple[tuple[NoteRow, ...], tuple[NoteRow, ...], tuple[NoteRow, ...]]:
    """(human, ai, plan) for trading fours at `now`: the human played the 4 bars before the turn that
    began at the last 4-bar line, the AI sounded its answer up to `now` and has the rest of it planned."""
    rng = random.Random(seed)
    start = (now // (4 * BAR)) * 4 * BAR

    def phrase(t0: float, low: int) -> list[NoteRow]:
        notes, t = [], t0
        while t < t0 + 4 * BAR - 0.2:
            step = rng.choice((0.3125, 0.625, 0.625, 1.25))
            pitch = low + rng.choice((0, 2, 4, 7, 9, 12, 14))
            notes.append(NoteRow(round(t, 3), round(step * 0.9, 3), pitch, 70 + rng.randrange(40)))
            t += step
        return notes

    human = phrase(start - 4 * BAR, 60)
    answer = phrase(start, 62)
    return (
        tuple(human),
        tuple(n for n in answer if n.onset <= now),
        tuple(n for n in answer if n.onset > now),
    )


def view_at(now: float, section: int = 2, **changes: object) -> StageView:
    """A realistic view of the set at `now`, in section `section` of the running order."""
    human, ai, plan = trading_notes(now)
    left = 32 * BAR - now % (32 * BAR)
    view = StageView(
        title="Saturday set",
        running_order=RUNNING_ORDER,
        current=section,
        section=RUNNING_ORDER[section].name,
        next_section=RUNNING_ORDER[section + 1].name if section + 1 < len(RUNNING_ORDER) else "(end)",
        time_left_s=round(left, 2),
        bars_left=round(left / BAR, 2),
        mode=RUNNING_ORDER[section].mode,
        key="G major",
        ai_state="playing",
        tempo=96.0,
        meter="4/4",
        now=now,
        human=human,
        ai=ai,
        plan=plan,
        heard_p99_ms=0.4,
        heard_worst_ms=1.9,
        late_notes=0,
        latency_ms=212.0,
        params=(ParamRow("temperature", 1.05, 0.8, 1.3), ParamRow("density", 0.7, 0.3, 1.0)),
        worker="ready (pid 4242)",
        take="takes/saturday-set_20261122-213000.jsonl",
    )
    return replace(view, **changes)  # type: ignore[arg-type]
