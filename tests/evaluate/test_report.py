"""Sections and their modes (from the piece or inferred), per-section metrics and the pooled whole."""

from __future__ import annotations

import pytest

from conductor.core.events import Note, Source
from conductor.evaluate import evaluate, to_json
from conductor.evaluate.metrics import Ratio
from conductor.piece import load_piece_text
from tests.evaluate.helpers import line, make_take

H = Source.HUMAN
BAR = 2.0  # 120 bpm, 4/4
TRADING = """
title: t
tempo: 120
sections:
  - {name: warm, mode: listen, length: 2 bars}
  - {name: fours, mode: trading, length: 8 bars, turns: {bars: 2, starts: human}, then: stop}
"""
PHRASE = [60, 62, 64, 65, 67, 65, 64, 62]  # one bar of eighths, C major


def trading_take() -> list[list[Note]]:
    """Human in bars 3-4 and 7-8 (its turns of `fours`), the AI in bars 5-6 and 9-10."""
    human = line(0.0, PHRASE, source=H) + line(4.0, PHRASE, source=H) + line(12.0, PHRASE, source=H)
    answer = line(8.0, [p + 7 for p in PHRASE])  # the human's phrase a fifth up: every 3-gram heard
    other = line(16.0, [72, 79, 72, 79, 72, 79, 72, 79], step=0.5)  # nothing the human played
    return [human, answer + other]


def test_trading_from_the_piece_turns_answers_and_presence() -> None:
    human, ai = trading_take()
    take = make_take(human, ai, sections=[(0.0, "warm"), (4.0, "fours")])
    result = evaluate(take, load_piece_text(TRADING))
    warm, fours = result.sections
    assert (warm.mode, warm.mode_from, warm.presence) == ("listen", "piece", Ratio())
    assert (fours.mode, fours.mode_from, fours.key_filter, fours.key) == (
        "trading",
        "piece",
        "detect",
        "C major",
    )
    assert (fours.presence, fours.presence_unit) == (Ratio(2, 2), "AI turns")
    assert (fours.answers, fours.answer_overlap) == (2, Ratio(5, 10))  # 5 of 5, then 0 of 5
    assert fours.in_key == Ratio(16, 16) and fours.density_ratio == pytest.approx(16 / 16)
    assert fours.sync == Ratio(0, 16)  # every answer in the human's silence
    assert result.notes == []


def test_without_a_piece_trading_and_listen_are_inferred() -> None:
    human, ai = trading_take()
    result = evaluate(make_take(human, ai, sections=[(0.0, "warm"), (4.0, "fours")]))
    warm, fours = result.sections
    assert (warm.mode, warm.mode_from) == ("listen", "inferred")
    assert (fours.mode, fours.mode_from, fours.key_filter) == ("trading", "inferred", None)
    assert (fours.presence, fours.answer_overlap) == (Ratio(2, 2), Ratio(5, 10))
    assert result.notes == [
        "section 'warm': no --piece; mode inferred: listen (the AI never played)",
        "section 'fours': no --piece; mode inferred: trading, 2-bar turns, the human first",
    ]


def test_free_modes_answer_by_phrases_and_the_whole_take_pools_counts() -> None:
    human = line(0.0, PHRASE, source=H) + line(4.0, PHRASE, source=H)
    ai = (
        line(2.0, PHRASE)
        + line(6.0, [60, 61, 60, 61, 60, 61, 60, 61])
        + [Note(6.0, 0.0, 40, 80, 1, Source.AI)]
    )
    result = evaluate(make_take(human, ai, sections=[(0.0, "a"), (4.0, "b")]))
    a, b = result.sections
    assert (a.mode, a.mode_from, a.answers, a.answer_overlap) == (None, "unknown", 1, Ratio(5, 5))
    assert (b.answers, b.answer_overlap, b.zero_length, b.cluster) == (1, Ratio(0, 5), 1, 2)
    assert (a.presence, b.presence) == (Ratio(1, 2), Ratio(1, 2))
    whole = result.whole
    assert whole.answer_overlap == Ratio(5, 10) and whole.presence == Ratio(2, 4)
    assert whole.in_key == a.in_key + b.in_key and whole.zero_length == 1 and whole.cluster == 2
    assert (whole.ai_notes, whole.human_notes) == (17, 16)
    data = to_json(result)
    assert data["whole"]["answer_overlap"] == {"value": 0.5, "hits": 5, "of": 10, "answers": 2}
    assert [s["name"] for s in data["sections"]] == ["a", "b"]


def test_the_last_section_ends_with_its_length_but_keeps_the_notes_after_it() -> None:
    piece = load_piece_text("title: t\ntempo: 120\nsections:\n  - {name: d, mode: duet, length: 2 bars}\n")
    blip = Note(4.0, 0.01, 60, 80, 1, Source.AI)  # struck as the piece stopped, cut 10 ms later
    take = make_take(line(0.0, PHRASE, step=0.5, source=H), [*line(0.5, [64, 65]), blip], sections=[(0, "d")])
    (d,) = evaluate(take, piece).sections
    assert (d.start, d.end) == (0.0, 4.0) and d.presence == Ratio(1, 2)
    assert (d.ai_notes, d.zero_length) == (3, 1)


def test_a_take_without_markers_is_one_section() -> None:
    result = evaluate(make_take(line(0.0, PHRASE, source=H), [], sections=[]))
    assert [s.name for s in result.sections] == ["take"]
    assert result.sections[0].mode == "listen"
