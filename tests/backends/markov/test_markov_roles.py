"""Decode-time roles on the Markov backend: the same contracts the transformer decodes under, and the
repetition guard (no run of one pitch longer than the human's longest in the window plus two)."""

from __future__ import annotations

from dataclasses import replace

from markov_helpers import melody, request
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

from conductor.backends.base import Constraints
from conductor.backends.markov import MarkovModel
from conductor.core.events import Note
from conductor.evaluate.metrics import longest_run
from conductor.piece.compiled import MarkovSpec

BASE = Constraints(channels=frozenset({1}), low=36, high=84)
LINE = [60, 62, 64, 65, 67, 65, 64, 62, 60, 67, 64, 60, 62, 64, 62, 60]


def played(heard: list[Note], constraints: Constraints, seed: int = 0, events: int = 24) -> list[Note]:
    model = MarkovModel(MarkovSpec(order=2))
    model.observe(heard)
    return list(model.generate(request(heard[-8:], start=20.0, until=40.0, max_events=events, seed=seed,
                                       constraints=constraints)))  # fmt: skip


def test_chords_from_a_single_line_are_voiced_groups_on_the_chord_tones() -> None:
    roles = replace(BASE, group_min=3, group_max=4, spacing=2, chord_tones=frozenset({0, 4, 7}))
    for seed in range(4):
        notes = played(melody(LINE), roles, seed)
        assert notes and all(3 <= len(g) <= 4 for g in groups(notes))
        assert not badly_voiced(sorted(notes, key=lambda n: (n.onset, n.pitch)), 2)
        assert {n.pitch % 12 for n in notes} <= {0, 4, 7}
        assert not restruck(notes) and not zero_length(notes)


def test_a_solo_over_chords_is_one_line() -> None:
    heard = melody(LINE)
    heard += [n.with_(pitch=n.pitch - 7) for n in heard] + [n.with_(pitch=n.pitch - 12) for n in heard]
    legato = [n.with_(duration=1.5) for n in heard]  # notes ring over the next ones
    for seed in range(4):
        notes = played(legato, replace(BASE, monophonic=True, group_max=1), seed)
        assert notes and not overlapping(notes) and not zero_length(notes)


def test_big_chords_are_capped_and_no_pitch_is_struck_while_it_sounds() -> None:
    heard = [n.with_(pitch=n.pitch - k, duration=2.0) for n in melody(LINE) for k in (0, 3, 7, 10, 12, 15)]
    for seed in range(4):
        notes = played(heard, replace(BASE, group_max=2), seed)
        assert notes and not oversized(notes, 2)
        assert not restruck(notes) and not zero_length(notes)


def test_the_density_cap_is_a_budget_of_notes() -> None:
    for seed in range(4):
        notes = played(melody(LINE, ioi=0.125), replace(BASE, max_per_second=3.0), seed)
        assert notes and not over_budget(notes, 3, 1.0)


def test_no_run_longer_than_the_humans_plus_two() -> None:
    heard = melody([58] * 40)  # all it ever learnt: Bb3 after Bb3
    context = melody([60, 62, 58, 58, 58, 58, 58, 58, 58], start=18.0)  # the turn ends in seven Bb3s
    model = MarkovModel(MarkovSpec(order=2))
    model.observe(heard)
    for seed in range(3):
        req = request(context, start=23.0, until=60.0, max_events=48, seed=seed, constraints=BASE)
        notes = list(model.generate(req))
        assert len(notes) >= 20 and longest_run(notes) <= 7 + 2


def test_paced_chords_last_the_span() -> None:
    roles = replace(BASE, group_min=3, group_max=3, spacing=2, paced=True)
    for seed in range(4):
        notes = played(melody(LINE, ioi=0.125), roles, seed, events=12)  # 12 notes over 20 s
        assert len(notes) >= 6 and not ahead_of_pace(notes, 12, 20.0, 20.0, 3)
        assert max(n.onset for n in notes) >= 30.0  # still playing in the second half
