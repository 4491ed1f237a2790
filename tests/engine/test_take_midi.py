"""The take's MIDI writer: on before off for one note, no stuck note, text in any script, no crash."""

from __future__ import annotations

import io
import math

import mido
import pytest

from conductor.engine.take_midi import TICKS_PER_BEAT, build_midi, marker, midi_text, read_midi_text


def on(p: int, ch: int = 0) -> mido.Message:
    return mido.Message("note_on", channel=ch, note=p, velocity=80)


def off(p: int, ch: int = 0) -> mido.Message:
    return mido.Message("note_off", channel=ch, note=p)


def events(track: mido.MidiTrack) -> list[tuple[int, str, int]]:
    now, out = 0, []
    for msg in track:
        now += msg.time
        if msg.type in ("note_on", "note_off"):
            out.append((now, msg.type, msg.note))
    return out


def saved(data: bytes) -> mido.MidiFile:
    """The file as mido reads it."""
    return mido.MidiFile(file=io.BytesIO(data))


def test_a_note_off_recorded_before_its_own_note_on_time_is_moved_to_it() -> None:
    parts = {"ai": [(1.0, on(60)), (1.5, on(64)), (0.9, off(60)), (2.0, off(64))]}
    midi = saved(build_midi(parts, 120))  # a beat is 0.5 s: 960 ticks a second
    assert events(midi.tracks[1]) == [(960, "note_on", 60), (960, "note_off", 60), (1440, "note_on", 64),
                                      (1920, "note_off", 64)]  # fmt: skip


def test_messages_come_out_in_time_order_equal_times_as_recorded() -> None:
    parts = {"ai": [(1.0, off(60)), (1.0, on(60)), (0.5, on(60)), (2.0, off(60))]}
    midi = saved(build_midi(parts, 120))
    assert events(midi.tracks[1]) == [(480, "note_on", 60), (960, "note_off", 60), (960, "note_on", 60),
                                      (1920, "note_off", 60)]  # fmt: skip


def test_a_note_still_held_at_the_end_is_closed_there() -> None:
    parts = {"human": [(0.5, on(60)), (1.0, on(64, ch=1)), (1.5, off(60))]}
    assert events(saved(build_midi(parts, 120)).tracks[1]) == [
        (480, "note_on", 60), (960, "note_on", 64), (1440, "note_off", 60), (1440, "note_off", 64)
    ]  # fmt: skip


def test_times_that_are_no_number_are_left_out() -> None:
    parts = {"ai": [(math.nan, on(61)), (1.0, on(60)), (math.inf, off(60)), (1.5, off(60))]}
    assert events(saved(build_midi(parts, 120)).tracks[1]) == [(960, "note_on", 60), (1440, "note_off", 60)]


@pytest.mark.parametrize("bpm", [0.5, 0.0, -3.0, math.nan, 1e6])
def test_a_tempo_a_midi_file_cannot_hold_still_gives_a_file(bpm: float) -> None:
    midi = saved(build_midi({"ai": [(1.0, on(60)), (2.0, off(60))]}, bpm))
    tempo = next(m.tempo for m in midi.tracks[0] if m.type == "set_tempo")
    assert 1 <= tempo <= 0xFFFFFF
    assert [m.type for m in midi.tracks[1] if not m.is_meta] == ["note_on", "note_off"]


def test_a_time_past_what_a_midi_file_can_count_is_left_out() -> None:
    parts = {"ai": [(1.0, on(60)), (2.0, off(60)), (1e6, on(61)), (1e300, off(61))]}  # 1e6 s: 277 h
    assert events(saved(build_midi(parts, 120)).tracks[1]) == [(960, "note_on", 60), (1920, "note_off", 60)]


@pytest.mark.parametrize("bad", ["note_on", b"\xf0\x01\xf7", b"\x90\x3c", b"\x90\x80\x40", b"", None])
def test_what_is_not_a_channel_message_is_left_out(bad: object) -> None:
    parts = {"ai": [(1.0, on(60)), (1.5, bad), (2.0, off(60))]}
    assert events(saved(build_midi(parts, 120)).tracks[1]) == [(960, "note_on", 60), (1920, "note_off", 60)]


def test_a_meter_a_midi_file_cannot_hold_is_left_out() -> None:
    midi = saved(build_midi({"conductor": [(0.0, marker("a"))]}, 120, (7, 6)))
    assert [m.type for m in midi.tracks[0]] == ["track_name", "set_tempo", "marker", "end_of_track"]


@pytest.mark.parametrize("name", ["verse", "Ünïcødé ☃ 日本", "Ωmega", "emoji 🎹", "café"])
def test_section_names_round_trip_through_the_file(name: str) -> None:
    midi = saved(build_midi({"conductor": [(0.0, marker(name))]}, 96))
    text = next(m.text for m in midi.tracks[0] if m.type == "marker")
    assert read_midi_text(text) == name
    assert midi_text(name).encode("latin-1") == name.encode("utf-8")  # UTF-8 bytes in the file


def test_text_from_a_latin1_tool_reads_as_it_was_written() -> None:
    assert read_midi_text("caf\xe9") == "café"  # not UTF-8: left as read


def test_a_lone_surrogate_is_replaced_not_fatal() -> None:
    assert read_midi_text(midi_text("a\ud800b")) == "a?b"


def test_ticks_follow_the_tempo() -> None:
    midi = saved(build_midi({"ai": [(0.0, on(60)), (1.0, off(60))]}, 60))
    assert midi.ticks_per_beat == TICKS_PER_BEAT
    assert events(midi.tracks[1]) == [(0, "note_on", 60), (480, "note_off", 60)]
