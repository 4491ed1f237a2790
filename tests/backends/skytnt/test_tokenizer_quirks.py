"""Every upstream quirk reproduced by default, each with the exact rows it gives."""

from __future__ import annotations

from tokenizer_rows import v1_note, v2_note

from conductor.backends.skytnt import get_tokenizer


def rows(name: str, *tracks: list[list[object]], tpb: int = 480, **kw: object) -> list[list[int]]:
    return get_tokenizer(name).tokenize([tpb, *tracks], add_bos_eos=False, **kw)  # type: ignore[arg-type]


def test_zero_velocity_duplicate_wins() -> None:
    # the performer's trap: a velocity-0 copy of a note at the same time replaces the real note
    out = rows("v2", [["note", 0, 480, 0, 60, 100], ["note", 0, 480, 0, 60, 0]])
    assert out == [v2_note(0, 0, 0, 0, 60, 0, 16)]


def test_same_pitch_notes_clip_each_other_on_a_track() -> None:
    out = rows("v2", [["note", 0, 960, 0, 60, 100], ["note", 480, 480, 0, 60, 90]])
    assert out == [v2_note(0, 0, 0, 0, 60, 100, 16), v2_note(1, 0, 0, 0, 60, 90, 16)]
    # on another track nothing is clipped
    out = rows("v2", [["note", 0, 960, 0, 60, 100]], [["note", 480, 480, 0, 60, 90]])
    assert out == [v2_note(0, 0, 0, 0, 60, 100, 32), v2_note(1, 0, 1, 0, 60, 90, 16)]


def test_a_later_listed_earlier_note_removes_the_same_pitch_note_before_it() -> None:
    out = rows("v1", [["note", 480, 480, 0, 60, 100], ["note", 0, 240, 0, 60, 90]])
    assert out == [v1_note(0, 0, 0, 8, 0, 60, 90)]


def test_after_a_gap_of_128_beats_everything_is_lost() -> None:
    track = [
        ["note", 0, 480, 0, 60, 100],
        ["note", 130 * 480, 480, 0, 62, 100],
        ["note", 131 * 480, 480, 0, 64, 1],
    ]
    assert rows("v1", track) == [v1_note(0, 0, 0, 16, 0, 60, 100)]
    assert rows("v1", [["note", 0, 480, 0, 60, 100], ["note", 127 * 480, 480, 0, 62, 100]]) == [
        v1_note(0, 0, 0, 16, 0, 60, 100),
        v1_note(127, 0, 0, 16, 0, 62, 100),
    ]
    assert rows("v2", [["note", 128 * 480, 480, 0, 60, 100]]) == []  # first event measured from 0


def test_notes_of_128_beats_or_more_are_dropped() -> None:
    assert rows("v1", [["note", 0, 2048 * 30, 0, 60, 100]]) == []
    assert rows("v1", [["note", 0, 2047 * 30, 0, 60, 100]]) == [v1_note(0, 0, 0, 2047, 0, 60, 100)]


def test_v1_opening_chord_keeps_one_note_per_duration() -> None:
    chord = [["note", 0, 480, 0, p, 90] for p in (60, 64, 67)] + [["note", 480, 480, 0, 72, 90]]
    # C goes into the setup under (track, duration, channel), E replaces it; G ends the setup
    assert rows("v1", chord) == [
        v1_note(0, 0, 0, 16, 0, 64, 90),
        v1_note(0, 0, 0, 16, 0, 67, 90),
        v1_note(1, 0, 0, 16, 0, 72, 90),
    ]
    assert len(rows("v2", chord)) == 4  # v2 keys setup notes by pitch


def test_v2_setup_compares_beat_plus_sixteenth_sums() -> None:
    track = [["note", 120, 30, 0, 60, 90], ["note", 570, 30, 0, 60, 91], ["note", 570, 30, 0, 64, 90]]
    track.append(["note", 960, 30, 0, 67, 90])
    # (0, 4) and (1, 3) both sum to 4: the first C is collapsed into the second
    assert rows("v2", track) == [
        v2_note(1, 3, 0, 0, 60, 91, 1),
        v2_note(0, 3, 0, 0, 64, 90, 1),
        v2_note(1, 0, 0, 0, 67, 90, 1),
    ]


def test_setup_moves_opening_controllers_to_time_zero() -> None:
    out = rows("v1", [["control_change", 960, 0, 7, 100], ["note", 1920, 480, 0, 60, 90]])
    assert out == [[5, 7, 135, 2199, 2327, 2727 + 7, 2855 + 100, 0], v1_note(4, 0, 0, 16, 0, 60, 90)]


def test_small_first_controller_values_and_tempi_are_dropped() -> None:
    track = [["control_change", 0, 0, 64, 0], ["control_change", 0, 0, 1, 3], ["control_change", 0, 0, 2, 4]]
    assert [r[5] - 2727 for r in rows("v1", track)] == [2]
    assert [r[5] - 2727 for r in rows("v1", track, cc_eps=0)] == [64, 1, 2]
    assert rows("v1", [["set_tempo", 0, 20_000_000]]) == []  # 3 bpm is within 4 of "0 bpm"
    assert rows("v1", [["set_tempo", 0, 0]], tempo_eps=0) == []  # tempo 0 is invalid


def test_repeated_patches_and_same_instant_controllers() -> None:
    track = [["patch_change", 0, 0, 5], ["patch_change", 480, 0, 5], ["patch_change", 960, 0, 6]]
    track += [["control_change", 960, 0, 7, 50], ["control_change", 960, 0, 7, 90]]
    out = rows("v1", track)
    assert [(r[0], r[-3] if r[0] == 5 else r[5]) for r in out] == [(4, 2604), (4, 2605), (5, 2727 + 7)]
    assert out[2][6] == 2855 + 90  # the later value at the same instant replaces the earlier one


def test_channels_above_15_and_tracks_after_128_are_ignored() -> None:
    assert rows("v1", [["note", 0, 480, 16, 60, 90]]) == []
    tracks = [[] for _ in range(128)] + [[["note", 0, 480, 0, 60, 90]]]
    assert rows("v1", *tracks) == []


def test_v2_detects_the_key_from_notes() -> None:
    scale = [["note", i * 480, 480, 0, p, 90] for i, p in enumerate((67, 69, 71, 72, 74, 76, 78))]
    out = rows("v2", scale)
    assert out[0] == [8, 9, 137, 2201, 3389 + 7 + 1, 3404, 0, 0]  # G major: one sharp
    assert len(out) == 8
    atonal = [["note", i * 480, 480, 0, 60 + i, 90] for i in range(12)]
    assert all(r[0] == 3 for r in rows("v2", atonal))


def test_v2o_remaps_channels_and_tracks_and_removes_empty_channels() -> None:
    drums = [["note", 0, 480, 9, 36, 100]]
    bass = [["patch_change", 0, 5, 33], ["note", 0, 480, 5, 40, 100], ["control_change", 0, 4, 7, 100]]
    out = rows("v2o", drums, bass, cc_eps=0)
    kinds = [(r[0], r[3] - 2201, r[4] - 2329) for r in out]
    # channel 5 becomes 0 and gets track 1 (channels are numbered before drums' track); drums keep
    # channel 9 on track 2 and get a default piano patch; the controller of empty channel 4 is dropped;
    # one bass note is no key, so no key signature
    assert kinds == [(4, 1, 0), (3, 1, 0), (4, 2, 9), (3, 2, 9)]
    assert out[2][5] == 2601 and out[0][5] == 2601 + 33
