"""The AI's answers, each paired with the human phrase it answers: what answer overlap compares.

- Trading: each AI turn's notes answer the human's notes in the turn-length just before that turn
  (the human's turn; for an AI turn that opens the section, the bars before the section).
- Every other mode: the AI's phrases. A phrase ends where no AI note has sounded for a beat
  (`PHRASE_GAP_BEATS`) and is cut every `PHRASE_MAX_BARS` bars (an AI that never pauses still
  answers bar by bar); each answers the human's notes with onsets in the `ANSWER_WINDOW_BARS` bars
  before its first onset.

An answer counts only when its human phrase has a line of at least `NGRAM` + 1 notes (something to
answer: one interval n-gram); the n-grams themselves are counted by `metrics.answer_overlap`.
"""

from __future__ import annotations

from collections.abc import Sequence

from conductor.core.events import Note
from conductor.core.timebase import Timebase
from conductor.evaluate.metrics import NGRAM, top_line, within
from conductor.evaluate.sections import SectionPlan

PHRASE_GAP_BEATS = 1.0  # an AI phrase ends after a beat with no AI note sounding
PHRASE_MAX_BARS = 2.0  # ... or after two bars
ANSWER_WINDOW_BARS = 2.0  # the human phrase an AI phrase answers: the two bars before it

Pair = tuple[list[Note], list[Note]]  # (AI answer, human phrase)


def answers(plan: SectionPlan, ai: Sequence[Note], human: Sequence[Note], tb: Timebase) -> list[Pair]:
    """(answer, phrase) for every answer of the section's AI notes `ai` to the take's `human`."""
    if plan.turn_bars is not None:
        turn = plan.turn_bars * tb.seconds_per_bar
        pairs = [(within(ai, lo, hi), within(human, lo - turn, lo)) for lo, hi in plan.ai_turns]
    else:
        window = ANSWER_WINDOW_BARS * tb.seconds_per_bar
        phrases = ai_phrases(ai, PHRASE_GAP_BEATS * tb.seconds_per_beat, PHRASE_MAX_BARS * tb.seconds_per_bar)
        pairs = [(p, within(human, p[0].onset - window, p[0].onset)) for p in phrases]
    return [(a, p) for a, p in pairs if a and len(top_line(p)) > NGRAM]


def ai_phrases(notes: Sequence[Note], gap: float, longest: float) -> list[list[Note]]:
    """`notes` cut into phrases where nothing has sounded for `gap` seconds, or `longest` seconds
    after the phrase's first onset."""
    phrases: list[list[Note]] = []
    reach = 0.0
    for note in sorted(notes, key=lambda n: (n.onset, n.pitch)):
        if phrases and note.onset < reach + gap and note.onset < phrases[-1][0].onset + longest:
            phrases[-1].append(note)
            reach = max(reach, note.end)
        else:
            phrases.append([note])
            reach = note.end
    return phrases
