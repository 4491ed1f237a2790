"""Whole-piece rehearsals against the bundled human: each mode's musical contract holds in the take."""

from __future__ import annotations

import itertools
import math

import pytest

from conductor.core.keys import parse_key
from tests.rehearse.helpers import ai_notes, balanced, human, load, run

EPS = 1e-6


def piece_text(mode: str, model: str = "arpeggio", extra: str = "") -> str:
    return f"""
title: {mode}
tempo: 96
meter: 4/4
model: {{kind: scripted, config: {model}}}
midi: {{ai_channel: 2}}
sections:
  - name: {mode}
    mode: {mode}
    length: 32 bars
{extra}"""


@pytest.mark.parametrize("model", ["arpeggio", "echo", "chords"])
def test_trading_plays_only_in_ai_turns_and_leaves_the_human_turns_silent(model: str) -> None:
    result = run(load(piece_text("trading", model, "    turns: {bars: 4, starts: human}")), human(80))
    turn = 4 * 2.5  # 4 bars at 96 bpm
    notes = ai_notes(result)
    assert len(notes) > 20
    for note in notes:
        k = math.floor(note.onset / turn + EPS)
        assert k % 2 == 1, f"AI note in the human's turn: {note}"
        assert note.end <= (k + 1) * turn + EPS, f"AI note rings into the human's turn: {note}"
    assert balanced(result.take.ai_messages)


def test_ai_chords_onsets_are_chords() -> None:
    result = run(load(piece_text("ai_chords", "chords")), human(80))
    onsets: dict[float, int] = {}
    for note in ai_notes(result):
        cluster = next((t for t in onsets if abs(note.onset - t) <= 0.05 + EPS), note.onset)
        onsets[cluster] = onsets.get(cluster, 0) + 1
    assert len(onsets) > 5
    assert min(onsets.values()) >= 3
    assert balanced(result.take.ai_messages)


def test_ai_solo_is_monophonic_above_middle_c() -> None:
    result = run(load(piece_text("ai_solo", "arpeggio")), human(80))
    notes = ai_notes(result)
    assert len(notes) > 20
    for before, after in itertools.pairwise(notes):
        assert after.onset >= before.end - EPS, f"{before} overlaps {after}"
    assert all(60 <= n.pitch <= 96 for n in notes)
    assert balanced(result.take.ai_messages)


def test_key_snap_keeps_every_ai_note_in_its_generation_s_detected_key() -> None:
    extra = "    cadence: {every: 2 bars, overlap: replace}"
    result = run(load(piece_text("duet", "arpeggio", extra)), human(80))
    generations = result.take.generations
    assert len(generations) > 5 and all(g.key for g in generations)
    notes = ai_notes(result)
    assert len(notes) > 20
    for note in notes:  # with `replace`, a note belongs to the last generation started before it
        owner = [g for g in generations if g.start <= note.onset + EPS][-1]
        assert note.pitch % 12 in parse_key(owner.key or "").pitch_classes, (note, owner.key)


def test_horizon_and_range_are_respected() -> None:
    extra = """    output: {events: 32, horizon: 1 bar, span: 2 bars}
    filters:
      - range: {low: 55, high: 70}
      - horizon: 1 bar"""
    result = run(load(piece_text("duet", "arpeggio", extra)), human(80))
    starts = [g.start for g in result.take.generations]
    notes = ai_notes(result)
    assert len(notes) > 20
    assert all(55 <= n.pitch <= 70 for n in notes)
    for note in notes:
        assert any(s - EPS <= note.onset <= s + 2.5 + EPS for s in starts), f"beyond the horizon: {note}"
    assert balanced(result.take.ai_messages)
