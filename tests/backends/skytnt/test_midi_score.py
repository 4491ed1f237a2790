"""MIDI files read into MIDI.py scores (pairing rules included), written back, and tokenized."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest

from conductor.backends.skytnt import get_tokenizer
from conductor.backends.skytnt.midi_score import MidiFileError, read_score, score_to_midi, write_score


def save(path: Path, *tracks: list[mido.Message], tpb: int = 480) -> Path:
    mid = mido.MidiFile(type=1, ticks_per_beat=tpb)
    for messages in tracks:
        mid.tracks.append(mido.MidiTrack(messages))
    mid.save(str(path))
    return path


def on(note: int, time: int, velocity: int = 100, channel: int = 0) -> mido.Message:
    return mido.Message("note_on", note=note, velocity=velocity, time=time, channel=channel)


def off(note: int, time: int, velocity: int = 0, channel: int = 0) -> mido.Message:
    return mido.Message("note_off", note=note, velocity=velocity, time=time, channel=channel)


def test_notes_are_paired_first_in_first_out_and_listed_at_their_end(tmp_path: Path) -> None:
    track = [on(60, 0), on(64, 0, 80), on(60, 240, 90), off(64, 120), off(60, 120), on(60, 0, 0)]
    score = read_score(save(tmp_path / "a.mid", track))
    # 64 ends first; the two 60s end in note-on order (the velocity-0 note-on is a note-off)
    assert score == [
        480,
        [["note", 0, 360, 0, 64, 80], ["note", 0, 480, 0, 60, 100], ["note", 240, 240, 0, 60, 90]],
    ]


def test_stray_offs_are_dropped_and_unfinished_notes_end_with_the_track(tmp_path: Path) -> None:
    track = [off(50, 0), on(62, 10, channel=2), on(60, 20), on(62, 30, 70, channel=2)]
    track.append(mido.MetaMessage("end_of_track", time=100))
    score = read_score(save(tmp_path / "b.mid", track))
    # unfinished notes come last, grouped by (channel, pitch) in order of their first note-on
    assert score == [96 * 5, [["text_event", 160, ""], ["note", 10, 150, 2, 62, 100],
                              ["note", 60, 100, 2, 62, 70], ["note", 30, 130, 0, 60, 100]]]  # fmt: skip


def test_meta_and_channel_events(tmp_path: Path) -> None:
    track = [
        mido.MetaMessage("set_tempo", tempo=400000, time=0),
        mido.MetaMessage("time_signature", numerator=6, denominator=8, time=0),
        mido.MetaMessage("key_signature", key="F#m", time=0),
        mido.Message("program_change", program=33, channel=1, time=0),
        mido.Message("control_change", control=7, value=90, channel=1, time=10),
        mido.Message("pitchwheel", pitch=-200, channel=1, time=0),
        mido.MetaMessage("track_name", name="bass", time=0),
    ]
    assert read_score(save(tmp_path / "c.mid", track))[1] == [
        ["set_tempo", 0, 400000],
        ["time_signature", 0, 6, 3, 24, 8],
        ["key_signature", 0, 3, 1],
        ["patch_change", 0, 1, 33],
        ["control_change", 10, 1, 7, 90],
        ["pitch_wheel_change", 10, 1, -200],
        ["track_name", 10, "bass"],
    ]


def test_file_to_tokens(tmp_path: Path) -> None:
    path = save(tmp_path / "d.mid", [mido.MetaMessage("set_tempo", tempo=500000)], [on(60, 0), off(60, 480)])
    rows = get_tokenizer("v1").tokenize(read_score(path), add_bos_eos=False)
    assert rows == [[6, 7, 135, 2199, 2983 + 120, 0, 0, 0], [3, 7, 135, 2200, 167, 2327, 2403, 2571]]


def test_written_scores_read_back_the_same(tmp_path: Path) -> None:
    meta = [["set_tempo", 0, 500000], ["time_signature", 0, 3, 2, 24, 8], ["key_signature", 0, -2, 0]]
    notes = [["patch_change", 0, 0, 5], ["note", 0, 480, 0, 60, 100], ["note", 480, 240, 0, 60, 70]]
    score = [480, meta, notes]
    write_score(score, tmp_path / "e.mid")
    assert read_score(tmp_path / "e.mid") == score


def test_writing_leaves_out_silent_notes_and_keeps_note_off_velocity() -> None:
    mid = score_to_midi([96, [["note", 0, 96, 0, 60, 0], ["note", 0, 96, 0, 62, 70]]])
    kinds = [(m.type, m.note, m.velocity, m.time) for m in mid.tracks[0] if not m.is_meta]
    assert kinds == [("note_on", 62, 70, 0), ("note_off", 62, 70, 96)]
    assert mid.type == 0


def test_missing_and_corrupt_files_raise_one_clear_sentence(tmp_path: Path) -> None:
    with pytest.raises(MidiFileError, match=r"nope\.mid: no such MIDI file"):
        read_score(tmp_path / "nope.mid")
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01")
    with pytest.raises(
        MidiFileError, match=r"bad\.mid: the file ends inside the header .+: is it truncated\?$"
    ):
        read_score(bad)
