"""Events: chord clustering, relative pitch, quantised rhythm."""

from __future__ import annotations

from markov_helpers import TB

from conductor.backends.markov.events import (
    DUR_BEATS,
    IOI_BEATS,
    Cluster,
    class_velocity,
    cluster,
    encode,
    encode_all,
    fold_step,
    nearest_class,
    velocity_class,
)
from conductor.core.events import Note


def test_notes_within_30_ms_form_one_chord_whatever_their_order() -> None:
    notes = [Note(0.52, 0.3, 67, 90), Note(0.0, 0.5, 60, 70), Note(0.02, 0.4, 64, 80), Note(0.5, 0.3, 72, 60)]
    assert cluster(notes) == [
        Cluster(onset=0.0, pitches=(64, 60), duration=0.5, velocity=80),
        Cluster(onset=0.5, pitches=(72, 67), duration=0.3, velocity=90),
    ]


def test_a_note_31_ms_later_starts_a_new_event() -> None:
    assert [c.pitches for c in cluster([Note(0.0, 0.1, 60, 80), Note(0.031, 0.1, 62, 80)])] == [(60,), (62,)]


def test_event_key_is_step_shape_and_classes() -> None:
    prev = Cluster(onset=1.0, pitches=(60,), duration=0.5, velocity=80)
    cur = Cluster(onset=1.25, pitches=(67, 64, 60), duration=1.0, velocity=100)
    # step +7, shape (-3, -7), IOI 0.5 beat, duration 2 beats, velocity class 6
    assert encode(cur, prev, TB) == (7, (-3, -7), IOI_BEATS.index(0.5), DUR_BEATS.index(2.0), 6)


def test_encode_all_skips_the_first_event_which_only_sets_the_reference() -> None:
    clusters = cluster([Note(i * 0.5, 0.5, p, 80) for i, p in enumerate([60, 62, 59])])
    assert [k[0] for k in encode_all(clusters, TB)] == [2, -3]


def test_classes_snap_on_a_log_scale() -> None:
    assert IOI_BEATS[nearest_class(0.9, IOI_BEATS)] == 1.0
    assert IOI_BEATS[nearest_class(0.3, IOI_BEATS)] == 1 / 3
    assert IOI_BEATS[nearest_class(100.0, IOI_BEATS)] == 4.0
    assert nearest_class(0.0, IOI_BEATS) == 0


def test_velocity_classes_round_trip_to_their_centres() -> None:
    assert [velocity_class(v) for v in (1, 16, 17, 80, 127)] == [0, 0, 1, 4, 7]
    assert [class_velocity(c) for c in (0, 4, 7)] == [8, 72, 120]


def test_steps_beyond_two_octaves_fold_by_octaves() -> None:
    assert [fold_step(s) for s in (24, 25, 40, -30, 3)] == [24, 13, 16, -18, 3]
