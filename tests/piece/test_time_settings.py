"""`cadence.fallback` and `feel`: written, inherited, off, and what a wrong one says."""

from __future__ import annotations

import pytest

from conductor.core.timebase import Span, Unit
from conductor.piece import compiled as c
from conductor.piece.errors import PieceErrors
from conductor.piece.loader import load_piece_text
from conductor.piece.names import Feel

HEAD = "tempo: 100\nsections:\n  - name: a\n    mode: ai_solo\n    length: 8 bars\n"


def test_phrase_end_falls_back_after_two_bars_unless_told_otherwise() -> None:
    default = load_piece_text(HEAD + "    cadence: {phrase_end: 2 beats}\n").sections[0].cadence
    assert isinstance(default, c.PhraseEnd) and default.fallback == Span(2, Unit.BARS)
    text = "defaults:\n  cadence: {fallback: 4 beats}\n" + HEAD + "    cadence: {phrase_end: 1 beat}\n"
    inherited = load_piece_text(text).sections[0].cadence
    assert isinstance(inherited, c.PhraseEnd) and inherited.fallback == Span(4, Unit.BEATS)
    off = load_piece_text(HEAD + "    cadence: {phrase_end: 1 beat, fallback: off}\n").sections[0].cadence
    assert isinstance(off, c.PhraseEnd) and off.fallback is None


def test_a_wrong_fallback_names_the_key_and_the_forms() -> None:
    with pytest.raises(PieceErrors) as caught:
        load_piece_text(HEAD + "    cadence: {phrase_end: 1 beat, fallback: soon}\n", "p.yaml")
    text = str(caught.value)
    assert "p.yaml:6" in text and "fallback" in text


def test_feel_follows_by_default_and_inherits_key_by_key() -> None:
    assert load_piece_text(HEAD).sections[0].feel is Feel.FOLLOW
    text = "defaults:\n  feel: swing\n" + HEAD + "  - {name: b, mode: duet, length: 4 bars, feel: straight}\n"
    a, b = load_piece_text(text).sections
    assert (a.feel, b.feel) == (Feel.SWING, Feel.STRAIGHT)


def test_a_wrong_feel_names_the_choices() -> None:
    with pytest.raises(PieceErrors) as caught:
        load_piece_text(HEAD + "    feel: shuffle\n", "p.yaml")
    text = str(caught.value)
    assert "p.yaml:6" in text and "feel" in text and "swing" in text
