"""The harmony estimator comping follows: the chord the notes of a span imply."""

from __future__ import annotations

from conductor.core.events import Note
from conductor.core.harmony import chord_of

BAR = 2.0  # seconds


def bar(index: int, pitches: list[int], lengths: list[float]) -> list[Note]:
    """A bar of notes one after the other (a melody outlining a chord)."""
    out, t = [], index * BAR
    for pitch, length in zip(pitches, lengths, strict=True):
        out.append(Note(t, length, pitch, 80))
        t += length
    return out


def test_c_f_g7_bars_give_i_iv_v() -> None:
    notes = (
        bar(0, [60, 64, 67, 72], [0.5] * 4)
        + bar(1, [65, 69, 72, 69], [0.5] * 4)
        + bar(2, [67, 71, 74, 65], [0.5] * 4)
    )
    names = [chord_of(notes, i * BAR, (i + 1) * BAR) for i in range(3)]
    assert [c.name if c else None for c in names] == ["C", "F", "G7"]


def test_duration_weights_the_estimate_and_silence_gives_none() -> None:
    # a long F and A with a passing G and B: F major, not the passing notes' G
    notes = [*bar(0, [65, 67, 69, 71], [0.8, 0.2, 0.8, 0.2]), Note(0.0, 2.0, 53, 80)]
    chord = chord_of(notes, 0.0, BAR)
    assert chord is not None and chord.name == "F"
    assert chord_of(notes, 10.0, 12.0) is None
    held = [Note(1.5, 1.0, 60, 80), Note(1.5, 1.0, 64, 80), Note(1.5, 1.0, 67, 80)]  # over the bar line
    assert chord_of(held, BAR, 2 * BAR) == chord_of(held, 0.0, BAR)
