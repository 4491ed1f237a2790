"""SkyTNT tokenizers: id layout, exact rows for hand-computed scores, detokenize, config."""

from __future__ import annotations

import json

import pytest
from tokenizer_rows import BOS, EOS, V1, V2, v1_note, v2_note

from conductor.backends.skytnt import MIDITokenizerV1, MIDITokenizerV2, from_config_dict, get_tokenizer


def test_layout_v1_follows_definition_order() -> None:
    tok = get_tokenizer("v1")
    assert (tok.vocab_size, tok.max_token_seq, tok.pad_id, tok.bos_id, tok.eos_id) == (3239, 8, 0, 1, 2)
    assert tok.event_ids == {"note": 3, "patch_change": 4, "control_change": 5, "set_tempo": 6}
    assert {p: ids[0] for p, ids in tok.parameter_ids.items() if p in V1} == V1
    assert tok.events["note"] == ["time1", "time2", "track", "duration", "channel", "pitch", "velocity"]


def test_layout_v2_follows_definition_order() -> None:
    tok = get_tokenizer("v2")
    assert (tok.vocab_size, tok.max_token_seq) == (3406, 8)
    assert list(tok.event_ids.values()) == [3, 4, 5, 6, 7, 8]
    assert tok.id_events[8] == "key_signature"
    assert {p: ids[0] for p, ids in tok.parameter_ids.items()} == V2
    assert tok.event_parameters["bpm"] == 384 and len(tok.parameter_ids["mi"]) == 2


def test_config_dict_with_sorted_keys_gives_the_same_layout() -> None:
    tok = get_tokenizer("v2o")
    stored = json.loads(json.dumps(tok.to_config_dict(), sort_keys=True))
    assert list(stored["events"]) != list(tok.events)  # sorted in the file...
    again = from_config_dict(stored)
    assert isinstance(again, MIDITokenizerV2) and again.optimise_midi
    assert again.parameter_ids == tok.parameter_ids  # ...but the layout is the definition order
    assert again.to_config_dict() == tok.to_config_dict()
    assert isinstance(from_config_dict({"version": "v1", "optimise_midi": False}), MIDITokenizerV1)


def test_unknown_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown tokenizer 'v3': expected one of v1, v2, v2o"):
        get_tokenizer("v3")
    with pytest.raises(ValueError, match="unknown tokenizer version 'v9'"):
        from_config_dict({"version": "v9"})


def test_single_note_v1_exact_rows() -> None:
    rows = get_tokenizer("v1").tokenize([480, [["note", 0, 480, 0, 60, 100]]])
    assert rows == [BOS, [3, 7, 135, 2199, 167, 2327, 2403, 2571], EOS]


def test_single_note_and_tempo_v2_exact_rows() -> None:
    score = [480, [["set_tempo", 0, 500000], ["note", 0, 480, 0, 60, 100]]]
    rows = get_tokenizer("v2").tokenize(score, add_bos_eos=False)
    assert rows == [[6, 9, 137, 2201, 2985 + 120, 0, 0, 0], [3, 9, 137, 2201, 2329, 2405, 2573, 169]]


def test_single_note_v2o_gets_a_default_piano_on_track_1() -> None:
    rows = get_tokenizer("v2o").tokenize([480, [["note", 0, 480, 0, 60, 100]]])
    assert rows == [BOS, [4, 9, 137, 2202, 2329, 2601, 0, 0], v2_note(0, 0, 1, 0, 60, 100, 16), EOS]


def test_quantisation_to_sixteenths_rounds_half_to_even() -> None:
    score = [480, [["note", 15, 30, 0, 60, 90], ["note", 45, 30, 0, 62, 90], ["note", 700, 10, 0, 64, 90]]]
    rows = get_tokenizer("v1").tokenize(score, add_bos_eos=False)
    # 0.5 -> 0 and 1.5 -> 2 sixteenths; 23.33 -> 23 = beat 1 + 7; 10 ticks -> duration max(1, 0)
    assert rows == [
        v1_note(0, 0, 0, 1, 0, 60, 90),
        v1_note(0, 2, 0, 1, 0, 62, 90),
        v1_note(1, 7, 0, 1, 0, 64, 90),
    ]


def test_time1_is_the_beat_step_from_the_previous_row() -> None:
    score = [96, [["note", 0, 96, 0, 60, 80], ["note", 288, 96, 0, 62, 80], ["note", 312, 48, 0, 64, 80]]]
    rows = get_tokenizer("v1").tokenize(score, add_bos_eos=False)
    assert rows == [
        v1_note(0, 0, 0, 16, 0, 60, 80),
        v1_note(3, 0, 0, 16, 0, 62, 80),
        v1_note(0, 4, 0, 8, 0, 64, 80),
    ]


def test_v1_round_trip_of_every_event_type() -> None:
    setup = [["set_tempo", 0, 600000], ["patch_change", 0, 0, 5], ["control_change", 0, 0, 7, 100]]
    notes = [["note", 0, 480, 0, 60, 100], ["note", 240, 960, 0, 64, 90], ["note", 1920, 120, 1, 67, 70]]
    score = [480, setup, notes]
    tok = get_tokenizer("v1")
    assert tok.detokenize(tok.tokenize(score)) == [
        480,
        [["set_tempo", 0, 600000], ["patch_change", 0, 0, 5], ["control_change", 0, 0, 7, 100]],
        [["note", 0, 480, 0, 60, 100], ["note", 240, 960, 0, 64, 90], ["note", 1920, 120, 1, 67, 70]],
    ]


def test_v2_round_trip_with_signatures() -> None:
    meta = [["time_signature", 0, 3, 3, 24, 8], ["key_signature", 0, -3, 1], ["set_tempo", 0, 400000]]
    notes = [["note", 0, 480, 0, 60, 100], ["note", 480, 240, 0, 63, 80], ["patch_change", 960, 0, 1]]
    tok = get_tokenizer("v2")
    rows = tok.tokenize([480, meta + notes], add_bos_eos=False)
    assert rows[:2] == [[7, 9, 137, 2201, 3369 + 2, 3385 + 2, 0, 0], [8, 9, 137, 2201, 3389 + 4, 3405, 0, 0]]
    assert tok.detokenize(rows) == [480, [*meta, notes[0], notes[1], notes[2]]]


def test_detokenize_cuts_overlaps_and_skips_non_events() -> None:
    tok = get_tokenizer("v2")
    rows = [
        BOS,
        v2_note(0, 0, 0, 0, 60, 90, 32),
        v2_note(0, 4, 0, 0, 60, 90, 8),
        v2_note(0, 4, 0, 0, 60, 91, 8),
    ]
    rows += [[3, 9, 137], EOS, [0] * 8]  # a short row, EOS and padding are skipped
    assert tok.detokenize(rows) == [480, [["note", 0, 120, 0, 60, 90], ["note", 120, 240, 0, 60, 91]]]


def test_tokens2event_and_event2tokens_edges() -> None:
    tok = get_tokenizer("v1")
    assert tok.tokens2event(BOS) is None
    assert tok.tokens2event([]) is None
    assert tok.tokens2event([3, 7, 135, 2199, 167, 2327, 2403, 2571]) == ["note", 0, 0, 0, 16, 0, 60, 100]
    assert tok.event2tokens(["note", 128, 0, 0, 16, 0, 60, 100]) == []  # time1 out of range
    assert tok.event2tokens(["set_tempo", 0, 0, 0, 255]) == [6, 7, 135, 2199, 3238, 0, 0, 0]
    assert tok.describe(2403) == "pitch=60" and tok.describe(0) == "<pad>"
