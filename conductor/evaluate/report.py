"""Evaluate a take: every metric for each section and for the whole take.

Notes belong to the section their onset lies in. Per section: the human's key (`detect_key` over
the section's human notes, or over the whole take's when the section has fewer than
`MIN_KEY_NOTES`), then each metric of `conductor.evaluate.metrics` and `.harmony` over the section's
notes. The whole take pools the sections' counts (each share is hits over totals summed, not a mean
of shares; pitch-class histograms are summed; maxima are maxima); the AI's presence leaves out
silent (`listen`) sections. `to_json` gives all of it for machines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from conductor.core.keys import detect_key, histogram
from conductor.evaluate import metrics as m
from conductor.evaluate.answers import answers
from conductor.evaluate.harmony import bar_chords, chord_tones
from conductor.evaluate.metrics import Ratio
from conductor.evaluate.sections import SectionPlan, plan_sections
from conductor.evaluate.takefile import TakeNotes
from conductor.piece.compiled import Piece

MIN_KEY_NOTES = 8  # a section with fewer human notes is judged against the whole take's key
RATIOS = ("in_key", "in_key_human", "answer_overlap", "sync", "sync_random", "chord_tones")  # pooled


@dataclass(frozen=True, slots=True)
class SectionResult:
    """The metrics of one section (or of the whole take: `mode_from` is "whole")."""

    name: str
    start: float
    end: float
    mode: str | None
    mode_from: str
    key_filter: str | None
    key: str | None
    ai_notes: int
    human_notes: int
    in_key: Ratio
    in_key_human: Ratio
    hist_ai: tuple[float, ...]
    hist_human: tuple[float, ...]
    presence: Ratio
    presence_unit: str  # "bars" | "AI turns"
    answers: int
    answer_overlap: Ratio
    sync: Ratio
    sync_random: Ratio
    run_ai: int
    run_human: int
    cluster: int
    zero_length: int
    chord_tones: Ratio

    @property
    def pc_cosine(self) -> float | None:
        """Cosine of the AI's and the human's pitch-class histograms (duration-weighted)."""
        return m.cosine(self.hist_ai, self.hist_human)

    @property
    def density_ratio(self) -> float | None:
        """AI notes per human note: the ratio of their densities over the same span."""
        return self.ai_notes / self.human_notes if self.human_notes else None

    @property
    def sync_gain(self) -> float | None:
        """Onset sync minus what random onsets in the same bars would score."""
        if self.sync.value is None or self.sync_random.value is None:
            return None
        return self.sync.value - self.sync_random.value


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A take's evaluation: one result per section, the whole take, and what had to be inferred."""

    source: str
    sections: list[SectionResult]
    whole: SectionResult
    notes: list[str]


def evaluate(take: TakeNotes, piece: Piece | None = None) -> Evaluation:
    """Every metric of `take`, section by section (modes from `piece` when given) and pooled."""
    plans, notes = plan_sections(take, piece)
    results = [evaluate_section(take, plan) for plan in plans]
    return Evaluation(take.source, results, pool(results, take), notes)


def evaluate_section(take: TakeNotes, plan: SectionPlan) -> SectionResult:
    """The metrics of one section of `take`."""
    ai = m.within(take.ai, plan.start, plan.notes_end)
    human = m.within(take.human, plan.start, plan.notes_end)
    key = detect_key(human if len(human) >= MIN_KEY_NOTES else take.human)
    scale = key.pitch_classes if key else frozenset()
    bars = plan.bars
    sounding = [n for n in take.human if n.onset < plan.notes_end and n.end > plan.start]
    sync, chance = m.onset_sync(m.attacks(ai), [n.onset for n in take.human], bars)
    pairs = answers(plan, ai, take.human, take.timebase)
    return SectionResult(
        name=plan.name,
        start=plan.start,
        end=plan.end,
        mode=plan.mode,
        mode_from=plan.mode_from,
        key_filter=plan.key_filter,
        key=key.name if key else None,
        ai_notes=len(ai),
        human_notes=len(human),
        in_key=m.in_key(ai, scale) if key else Ratio(),
        in_key_human=m.in_key(human, scale) if key else Ratio(),
        hist_ai=histogram(ai),
        hist_human=histogram(human),
        presence=Ratio() if plan.silent else m.presence(m.attacks(ai), plan.ai_turns or bars),
        presence_unit="AI turns" if plan.turn_bars else "bars",
        answers=len(pairs),
        answer_overlap=sum((m.answer_overlap(a, p) for a, p in pairs), Ratio()),
        sync=sync,
        sync_random=chance,
        run_ai=m.longest_run(ai),
        run_human=m.longest_run(human),
        cluster=m.largest_cluster(ai),
        zero_length=m.zero_length(ai),
        chord_tones=chord_tones(ai, bar_chords(sounding, bars), bars),
    )


def pool(results: Sequence[SectionResult], take: TakeNotes) -> SectionResult:
    """The whole take: counts and histograms summed, maxima kept, presence over non-silent sections."""
    playing = [r for r in results if r.mode != "listen"]
    shares = {name: sum((getattr(r, name) for r in results), Ratio()) for name in RATIOS}
    return SectionResult(
        name="whole take",
        start=min((r.start for r in results), default=0.0),
        end=take.end,
        mode=None,
        mode_from="whole",
        key_filter=None,
        key=None,
        ai_notes=sum(r.ai_notes for r in results),
        human_notes=sum(r.human_notes for r in results),
        hist_ai=_add(r.hist_ai for r in results),
        hist_human=_add(r.hist_human for r in results),
        presence=sum((r.presence for r in playing), Ratio()),
        presence_unit=" + ".join(sorted({r.presence_unit for r in playing})) or "bars",
        answers=sum(r.answers for r in results),
        run_ai=max((r.run_ai for r in results), default=0),
        run_human=max((r.run_human for r in results), default=0),
        cluster=max((r.cluster for r in results), default=0),
        zero_length=sum(r.zero_length for r in results),
        **shares,
    )


def _add(hists: Any) -> tuple[float, ...]:
    total = [0.0] * 12
    for hist in hists:
        total = [a + b for a, b in zip(total, hist, strict=True)]
    return tuple(total)


def _ratio(r: Ratio) -> dict[str, Any]:
    value = r.value
    return {"value": None if value is None else round(value, 4), "hits": round(r.hits, 4), "of": r.total}


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def result_json(r: SectionResult) -> dict[str, Any]:
    """One section's (or the whole take's) metrics as plain JSON data."""
    return {
        "name": r.name,
        "start": round(r.start, 3),
        "end": round(r.end, 3),
        "mode": r.mode,
        "mode_from": r.mode_from,
        "key_filter": r.key_filter,
        "key": r.key,
        "notes": {"ai": r.ai_notes, "human": r.human_notes},
        "in_key": _ratio(r.in_key),
        "in_key_human": _ratio(r.in_key_human),
        "pc_cosine": _round(r.pc_cosine),
        "presence": {**_ratio(r.presence), "unit": r.presence_unit},
        "answer_overlap": {**_ratio(r.answer_overlap), "answers": r.answers},
        "onset_sync": {**_ratio(r.sync), "random": _round(r.sync_random.value), "gain": _round(r.sync_gain)},
        "longest_run": {"ai": r.run_ai, "human": r.run_human},
        "largest_cluster": r.cluster,
        "zero_length": r.zero_length,
        "chord_tones": _ratio(r.chord_tones),
        "density_ratio": _round(r.density_ratio),
    }


def to_json(evaluation: Evaluation) -> dict[str, Any]:
    """The whole evaluation as plain JSON data."""
    return {
        "take": evaluation.source,
        "sections": [result_json(r) for r in evaluation.sections],
        "whole": result_json(evaluation.whole),
        "notes": evaluation.notes,
    }
