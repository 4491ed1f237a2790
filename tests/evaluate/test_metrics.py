"""The metrics' exact values on small hand-made note lists (definitions in docs/evaluate.md)."""

from __future__ import annotations

import pytest

from conductor.core.events import Source
from conductor.evaluate import metrics as m
from conductor.evaluate.metrics import Ratio
from tests.evaluate.helpers import line, note

H = Source.HUMAN


def test_a_chord_of_five_is_one_cluster_of_five() -> None:
    chord = [note(1.0 + 0.005 * i, p) for i, p in enumerate((48, 52, 55, 60, 64))]
    assert m.largest_cluster(chord + line(2.0, [60, 62])) == 5
    assert [len(c) for c in m.clusters(chord)] == [5]


def test_clusters_are_anchored_at_their_first_onset() -> None:
    notes = [note(t, 60 + i) for i, t in enumerate((0.0, 0.02, 0.04, 0.06))]  # 20 ms apart
    assert m.largest_cluster(notes) == 2  # never more than 30 ms from the first
    assert [len(c) for c in m.clusters(notes)] == [2, 2]
    assert m.attacks(notes) == [0.0, 0.04]


def test_top_line_takes_the_highest_note_of_each_cluster() -> None:
    notes = [note(0.0, 48), note(0.01, 67), note(0.5, 50), note(1.0, 71), note(1.0, 55)]
    assert m.top_line(notes) == [67, 50, 71]


def test_longest_run_counts_equal_pitches_in_a_row_of_the_line() -> None:
    assert m.longest_run(line(0.0, [60, 60, 62, 62, 62, 60])) == 3
    assert m.longest_run(line(0.0, [58] * 7 + [60] + [58] * 48)) == 48
    assert m.longest_run([]) == 0
    # the same chord struck again and again: its top note is the line
    chords = [note(t, p) for t in (0.0, 0.5, 1.0) for p in (60, 64, 67)]
    assert m.longest_run(chords) == 3


def test_zero_length_counts_notes_under_20_ms() -> None:
    notes = [note(0.0, 60, 0.0), note(1.0, 60, 0.019), note(2.0, 60, 0.02), note(3.0, 60, 0.5)]
    assert m.zero_length(notes) == 2


def test_in_key_and_cosine() -> None:
    g_major = {7, 9, 11, 0, 2, 4, 6}
    assert m.in_key(line(0.0, [67, 69, 70, 71]), g_major) == Ratio(3, 4)
    assert m.cosine((1, 0, 2), (2, 0, 4)) == pytest.approx(1.0)
    assert m.cosine((1, 0, 0), (0, 1, 0)) == 0.0
    assert m.cosine((0, 0, 0), (1, 0, 0)) is None


def test_an_answer_copying_the_human_intervals_overlaps_fully() -> None:
    phrase = line(0.0, [60, 62, 64, 65, 67], source=H)
    assert m.interval_ngrams([60, 62, 64, 65, 67]) == [(2, 2, 1), (2, 1, 2)]
    assert m.answer_overlap(line(4.0, [65, 67, 69, 70, 72]), phrase) == Ratio(2, 2)  # transposed copy
    assert m.answer_overlap(line(4.0, [67, 65, 64, 62, 60]), phrase) == Ratio(0, 2)  # inverted
    assert m.answer_overlap(line(4.0, [60, 62, 64, 65, 64]), phrase) == Ratio(1, 2)
    assert m.answer_overlap(line(4.0, [60, 62, 64]), phrase) == Ratio(0, 0)  # too short for a 3-gram


def test_presence_counts_units_holding_an_onset() -> None:
    bars = [(0.0, 2.0), (2.0, 4.0), (4.0, 6.0), (6.0, 8.0)]
    assert m.presence([0.0, 1.0, 4.5, 8.0], bars) == Ratio(2, 4)  # 8.0 is past the last bar


def test_coverage_is_the_union_of_the_windows_within_the_span() -> None:
    assert m.coverage([1.0], 0.0, 2.0) == pytest.approx(0.12 / 2)
    assert m.coverage([1.0, 1.05], 0.0, 2.0) == pytest.approx(0.17 / 2)  # overlapping windows once
    assert m.coverage([0.0, 2.03], 0.0, 2.0) == pytest.approx(0.09 / 2)  # clipped at both ends
    assert m.coverage([], 0.0, 2.0) == 0.0


def test_onset_sync_against_random_onsets_in_the_same_bars() -> None:
    human = [0.0, 0.5, 1.0, 1.5]  # bar 1 only
    bars = [(0.0, 2.0), (2.0, 4.0)]
    sync, chance = m.onset_sync([0.05, 0.75, 2.5], human, bars)
    assert sync == Ratio(1, 3)
    bar1 = (0.06 + 0.12 * 3) / 2.0  # the first window is clipped at the bar's start
    assert chance.total == 3 and chance.hits == pytest.approx(2 * bar1 + 0.0)
