"""The take recorder: the log is written as it happens, the MIDI file at the end, the human track replays."""

from __future__ import annotations

import json
import time
from pathlib import Path

import mido

from conductor.live.recorder import TakeRecorder, load_take_human, take_stem

ON = mido.Message("note_on", note=60, velocity=90)
OFF = mido.Message("note_off", note=60, velocity=0)
AI_ON = mido.Message("note_on", channel=2, note=67, velocity=70)
AI_OFF = mido.Message("note_off", channel=2, note=67, velocity=0)


def kinds(path: Path) -> list[str]:
    return [json.loads(line)["kind"] for line in path.read_text().splitlines()]


def test_file_names_come_from_piece_and_time() -> None:
    import datetime as dt

    assert take_stem("Saturday set!", dt.datetime(2026, 11, 22, 1, 2, 3)) == "saturday-set_20261122-010203"


def test_the_log_is_on_disk_while_the_performance_runs(tmp_path: Path) -> None:
    rec = TakeRecorder(tmp_path, "Test piece", bpm=120, flush_s=0.05)
    rec.start()
    rec.human(ON, 0.5)
    rec.section("verse", 1.0, reason="footswitch")
    deadline = time.monotonic() + 10
    while kinds(rec.log_path) != ["take", "human", "section"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert kinds(rec.log_path) == ["take", "human", "section"]
    rec.close()


def test_close_writes_everything_and_a_midi_file_with_tracks_and_markers(tmp_path: Path) -> None:
    rec = TakeRecorder(tmp_path, "Test piece", bpm=120)
    rec.start()
    rec.human(ON, 0.5)
    rec.human(OFF, 1.0)
    rec.ai(AI_ON, 1.5)
    rec.ai(AI_OFF, 2.0)
    rec.section("verse", 1.0)
    rec.press("next", 0.9)
    rec.generation(3, 1.2, temperature=0.9, events=16)
    rec.footswitch(mido.Message("control_change", control=80, value=127), 0.9)
    rec.close()
    assert kinds(rec.log_path) == [
        "take", "human", "human", "ai", "ai", "section", "press", "generation", "footswitch"
    ]  # fmt: skip
    gen = json.loads(rec.log_path.read_text().splitlines()[7])
    assert gen == {"t": 1.2, "kind": "generation", "generation": 3, "temperature": 0.9, "events": 16}
    mid = mido.MidiFile(rec.midi_path)
    assert [t.name for t in mid.tracks] == ["conductor", "human", "ai"]
    markers = [m.text for m in mid.tracks[0] if m.type == "marker"]
    assert markers == ["verse"]
    ai = [m for m in mid.tracks[2] if not m.is_meta]
    assert [(m.type, m.channel, m.note) for m in ai] == [("note_on", 2, 67), ("note_off", 2, 67)]


def test_the_human_track_replays_from_either_file(tmp_path: Path) -> None:
    rec = TakeRecorder(tmp_path, "Test piece", bpm=100)
    rec.start()
    rec.human(ON, 0.6)
    rec.ai(AI_ON, 0.7)
    rec.human(OFF, 1.2)
    rec.close()
    for path in (rec.log_path, rec.midi_path):
        msgs = load_take_human(path)
        assert [(m.type, m.note) for m in msgs] == [("note_on", 60), ("note_off", 60)]
        assert [round(m.time, 3) for m in msgs] == [0.6, 1.2]
