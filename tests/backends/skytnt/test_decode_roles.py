"""Decode-time roles on the transformer: a tiny random model (built here) decoding under each mode's
constraints keeps every role contract, on the normal and the speculative path alike."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from role_contracts import (
    ahead_of_pace,
    badly_voiced,
    groups,
    over_budget,
    overlapping,
    oversized,
    restruck,
    zero_length,
)
from skytnt_tiny import tiny_model

from conductor.backends.base import Constraints, GenerationRequest
from conductor.backends.shaping import Played, Shape, run_limit
from conductor.backends.skytnt.backend import SkyTNTModel
from conductor.core.events import Note, Source
from conductor.core.timebase import Timebase
from conductor.piece.compiled import SamplingSpec

TB = Timebase(120.0, 4, 4)
BASE = Constraints(channels=frozenset({1}), low=36, high=84)
PATHS = [None, "online"]  # the normal decoder, and speculative decoding with the online draft


def human(n: int) -> tuple[Note, ...]:
    return tuple(Note(0.25 * i, 0.2, 60 + (i * 5) % 12, 80, 0, Source.HUMAN) for i in range(n))


def decode(constraints: Constraints, draft: str | None, events: int = 24, seed: int = 5) -> list[Note]:
    request = GenerationRequest(
        context=human(16), origin=0.0, start=4.0, until=64.0, timebase=TB, max_events=events,
        sampling=SamplingSpec(seed=seed), constraints=constraints,
    )  # fmt: skip
    return list(SkyTNTModel(tiny_model(), draft=draft).generate(request))


def runs(constraints: Constraints, draft: str | None, events: int) -> list[list[Note]]:
    """One generation per seed (a random model often leaves the window after a few events)."""
    return [decode(constraints, draft, events, seed) for seed in range(6)]


@pytest.mark.parametrize("draft", PATHS)
def test_chords_are_groups_of_min_to_max_notes_voiced_lowest_first(draft: str | None) -> None:
    roles = replace(BASE, group_min=3, group_max=4, spacing=2, chord_tones=frozenset({0, 4, 7}))
    for notes in runs(roles, draft, events=24):
        chords = groups(notes)
        assert (
            all(3 <= len(g) <= 4 for g in chords[:-1]) and 1 <= len(chords[-1]) <= 4
        )  # events may cut the last
        assert not badly_voiced(notes, 2)
        assert {n.pitch % 12 for n in notes} <= {0, 4, 7}  # comping on the chord heard
        assert not restruck(notes) and not zero_length(notes)


@pytest.mark.parametrize("draft", PATHS)
def test_exact_chord_sizes_fill_the_budget(draft: str | None) -> None:
    sizes = [len(g) for notes in runs(replace(BASE, group_min=3, group_max=3, spacing=2), draft, 12)
             for g in groups(notes)]  # fmt: skip
    assert len(sizes) >= 4 and set(sizes) == {3}  # a generation ends only where a new chord would start


@pytest.mark.parametrize("draft", PATHS)
def test_a_solo_is_one_line(draft: str | None) -> None:
    lines = runs(replace(BASE, monophonic=True, group_max=1), draft, events=16)
    assert sum(len(notes) for notes in lines) >= 4  # not vacuous (long random notes end lines early)
    assert all(not overlapping(notes) and not zero_length(notes) for notes in lines)


def test_a_line_repeats_a_pitch_at_most_max_run_times() -> None:
    for notes in runs(replace(BASE, monophonic=True, group_max=1, max_run=1), None, events=16):
        pitches = [n.pitch for n in sorted(notes, key=lambda n: n.onset)]
        assert all(a != b for a, b in itertools.pairwise(pitches))


def test_chords_change_their_top_note_after_max_run_chords() -> None:
    roles = replace(BASE, group_min=3, group_max=3, spacing=2, chord_tones=frozenset({0, 4, 7}), max_run=1)
    for notes in runs(roles, None, events=24):
        tops = [max(n.pitch for n in g) for g in groups(notes)]
        assert all(a != b for a, b in itertools.pairwise(tops))


def test_a_run_goes_on_from_the_ais_line_before_the_generation() -> None:
    shape = Shape.of(replace(BASE, max_run=3), 1.0)
    assert 60 in Played.start(shape, before=[62, 60, 60, 60]).pitches(0.0, joins=False).banned
    assert 60 not in Played.start(shape, before=[60, 60, 62]).pitches(0.0, joins=False).banned


def test_the_run_limit_is_the_humans_longest_run_plus_two() -> None:
    line = [Note(0.25 * i, 0.2, p, 80) for i, p in enumerate([60, 60, 60, 62, 60, 60])]
    chord_under = [Note(0.25 * i, 0.2, 48, 80) for i in range(6)]  # the top line counts, not the bass
    assert run_limit(line + chord_under) == 3 + 2
    assert run_limit([]) == 1 + 2


@pytest.mark.parametrize("draft", PATHS)
def test_every_mode_caps_groups_and_never_restrikes(draft: str | None) -> None:
    played = runs(replace(BASE, group_max=2), draft, events=32)
    assert sum(len(notes) for notes in played) >= 8
    for notes in played:
        assert not oversized(notes, 2) and not restruck(notes) and not zero_length(notes)


def test_the_density_cap_is_a_budget_of_onsets() -> None:
    played = runs(replace(BASE, max_per_second=2.0, group_min=2, group_max=3), None, events=24)
    assert sum(len(notes) for notes in played) >= 8
    assert all(not over_budget(notes, 2, 1.0) for notes in played)  # at most 2 notes in any second


def test_paced_chords_spread_the_event_budget_over_the_span() -> None:
    roles = replace(BASE, group_min=3, group_max=3, spacing=2, paced=True)
    for notes in runs(roles, None, events=12):  # 12 notes over 60 s: a chord every 15 s at most
        assert not ahead_of_pace(notes, 12, 4.0, 60.0, 3)
