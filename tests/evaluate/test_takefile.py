"""Reading a take for evaluation: markers (any script), timebase, notes of each part, clean errors."""

from __future__ import annotations

import io
from pathlib import Path

import mido
import pytest

from conductor.core.events import Source
from conductor.evaluate import TakeError, read_take, take_from_bytes
from conductor.evaluate.metrics import zero_length
from tests.evaluate.helpers import line, make_take, note, take_bytes

H = Source.HUMAN


def test_sections_timebase_and_notes_come_back_as_written() -> None:
    human = line(0.0, [67, 69, 71], 0.5, H)
    ai = [note(2.0, 60), note(2.0, 64)]
    take = make_take(human, ai, sections=[(0.0, "intro"), (2.0, "日本 solo")], bpm=90, meter=(3, 4))
    assert [(round(t, 4), name) for t, name in take.markers] == [(0.0, "intro"), (2.0, "日本 solo")]
    tb = take.timebase
    assert (round(tb.bpm, 3), tb.beats_per_bar, tb.beat_unit) == (90, 3, 4)
    assert [(n.pitch, round(n.onset, 4), n.source) for n in take.human] == [
        (67, 0, H),
        (69, 0.5, H),
        (71, 1, H),
    ]
    assert [(n.pitch, round(n.onset, 4), n.channel) for n in take.ai] == [(60, 2.0, 1), (64, 2.0, 1)]
    assert take.end == pytest.approx(2.25, abs=1e-4)


def test_a_re_strike_of_a_sounding_pitch_ends_the_first_note_there_and_counts_as_zero_length() -> None:
    data = take_bytes([], [note(0.0, 60, 1.0), note(0.01, 60, 1.0)])  # struck again 10 ms later
    take = take_from_bytes(data)
    # as a synth hears it: the re-strike ends the first note, the first note-off ends the second
    assert [(round(n.onset, 2), round(n.duration, 2)) for n in take.ai] == [(0.0, 0.01), (0.01, 0.99)]
    assert zero_length(take.ai) == 1


def test_tempo_changes_are_honoured() -> None:
    conductor = mido.MidiTrack([mido.MetaMessage("track_name", name="conductor")])
    conductor.append(mido.MetaMessage("set_tempo", tempo=500_000))  # 120 bpm
    conductor.append(mido.MetaMessage("set_tempo", tempo=1_000_000, time=960))  # 60 bpm after 2 beats
    human = mido.MidiTrack([mido.MetaMessage("track_name", name="human")])
    human.append(mido.Message("note_on", note=60, velocity=80, time=1440))  # beat 3: 1 s + 1 s
    human.append(mido.Message("note_off", note=60, time=480))
    ai = mido.MidiTrack([mido.MetaMessage("track_name", name="ai")])
    buffer = io.BytesIO()
    mido.MidiFile(type=1, ticks_per_beat=480, tracks=[conductor, human, ai]).save(file=buffer)
    take = take_from_bytes(buffer.getvalue())
    assert [(n.onset, n.duration) for n in take.human] == [(2.0, 1.0)]
    assert take.markers == () and take.timebase.bpm == 120


def test_errors_name_the_file_and_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(TakeError, match=r"missing\.mid: no such file"):
        read_take(tmp_path / "missing.mid")
    with pytest.raises(TakeError, match=r"set\.jsonl: a live take's event log; evaluate reads .*set\.mid"):
        read_take(tmp_path / "set.jsonl")
    text = tmp_path / "notes.mid"
    text.write_text("not midi")
    with pytest.raises(TakeError, match=r"notes\.mid: not a readable MIDI file \(MThd not found"):
        read_take(text)
    plain = tmp_path / "plain.mid"
    mido.MidiFile(tracks=[mido.MidiTrack([mido.MetaMessage("track_name", name="human")])]).save(plain)
    with pytest.raises(TakeError, match=r"plain\.mid: not a conductor take: no track named 'ai'"):
        read_take(plain)
