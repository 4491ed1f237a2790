"""`answer:` per section: develop by default in trading, free elsewhere, inherited from defaults."""

from __future__ import annotations

import pytest

from conductor.piece.errors import PieceErrors
from conductor.piece.loader import load_piece_text
from conductor.piece.names import Answer

PIECE = """
tempo: 100
defaults: {answer: contrast}
sections:
  - {name: a, mode: trading, length: 8 bars}
  - {name: b, mode: duet, length: 4 bars, answer: sequence}
  - {name: c, mode: ai_chords, length: 4 bars}
"""


def test_trading_develops_and_other_modes_play_free() -> None:
    piece = load_piece_text("tempo: 100\nsections:\n  - {name: a, mode: trading, length: 8 bars}\n"
                            "  - {name: b, mode: duet, length: 4 bars}\n")  # fmt: skip
    assert [s.answer for s in piece.sections] == [Answer.DEVELOP, Answer.FREE]


def test_a_section_overrides_the_defaults_which_override_the_mode() -> None:
    piece = load_piece_text(PIECE)
    assert [s.answer for s in piece.sections] == [Answer.CONTRAST, Answer.SEQUENCE, Answer.CONTRAST]


def test_an_unknown_strategy_names_its_key_path_and_the_choices() -> None:
    with pytest.raises(PieceErrors) as info:
        load_piece_text(PIECE.replace("answer: sequence", "answer: sideways"), "p.yaml")
    text = str(info.value)
    assert "sections[1].answer" in text and "'develop', 'sequence', 'contrast' or 'free'" in text
