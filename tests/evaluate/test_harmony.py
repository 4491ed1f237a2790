"""Bar chords from the human's notes (triad and seventh templates) and the AI's chord-tone share."""

from __future__ import annotations

from conductor.core.events import Source
from conductor.evaluate.harmony import bar_chords, best_chord, chord_tones
from conductor.evaluate.metrics import Ratio
from tests.evaluate.helpers import line, note

H = Source.HUMAN
BARS = [(0.0, 2.0), (2.0, 4.0), (4.0, 6.0)]


def names(weights: dict[int, float]) -> str | None:
    chord = best_chord([weights.get(pc, 0.0) for pc in range(12)])
    return None if chord is None else chord.name


def test_templates_find_triads_and_sevenths() -> None:
    assert names({0: 1, 4: 1, 7: 1}) == "C"
    assert names({9: 1, 0: 1, 4: 1}) == "Am"
    assert names({7: 1, 11: 1, 2: 1, 5: 1}) == "G7"
    assert names({10: 1, 2: 1, 5: 1, 8: 1}) == "Bb7"
    assert names({11: 1, 2: 1, 5: 1}) == "Bdim"
    assert names({0: 1, 4: 1, 7: 1, 11: 1}) == "Cmaj7"
    assert names({}) is None


def test_a_held_chord_counts_in_every_bar_it_sounds_and_a_silent_bar_keeps_it() -> None:
    c_major = [note(0.0, p, 3.0, H) for p in (48, 52, 55)]  # held into bar 2
    g7 = [note(4.0, p, 1.0, H) for p in (43, 47, 50, 53)]
    chords = bar_chords(c_major + g7, [*BARS, (6.0, 8.0)])
    assert [c.name if c else None for c in chords] == ["C", "C", "G7", "G7"]


def test_chord_tone_share_of_the_ai_notes() -> None:
    human = [note(0.0, p, 2.0, H) for p in (48, 52, 55)] + [note(2.0, p, 2.0, H) for p in (41, 45, 48)]
    ai = line(0.0, [60, 62, 64, 67]) + line(2.0, [65, 69, 71])  # C: 3 of 4; F: 2 of 3
    chords = bar_chords(human, BARS[:2])
    assert chord_tones(ai, chords, BARS[:2]) == Ratio(5, 7)


def test_ai_notes_before_any_chord_are_not_counted() -> None:
    human = [note(2.0, p, 2.0, H) for p in (48, 52, 55)]
    ai = line(0.0, [61, 62]) + line(2.0, [60, 61])
    assert chord_tones(ai, bar_chords(human, BARS[:2]), BARS[:2]) == Ratio(1, 2)
