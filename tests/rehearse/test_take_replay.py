"""A take replays as the human: only the human's part, never the AI's, at the recorded times."""

from __future__ import annotations

from pathlib import Path

import mido

from conductor.engine.take_events import Pressed
from conductor.live.recorder import TakeRecorder
from conductor.rehearse.human import read_human
from tests.rehearse.helpers import load, run


def _notes(pairs: list[tuple[float, mido.Message]]) -> list[tuple[float, str, int]]:
    return [(round(t, 3), m.type, m.note) for t, m in pairs if m.type in ("note_on", "note_off")]


def _live_take(folder: Path) -> TakeRecorder:
    take = TakeRecorder(folder, "replay", 120.0)
    take.start()
    take.human(mido.Message("note_on", note=60, velocity=90), 0.5)
    take.ai(mido.Message("note_on", channel=1, note=72, velocity=70), 0.75)
    take.human(mido.Message("note_off", note=60), 1.0)
    take.footswitch(mido.Message("control_change", control=80, value=127), 1.25)
    take.record(Pressed("next"), 1.25)
    take.ai(mido.Message("note_off", channel=1, note=72), 1.5)
    take.close()
    return take


def test_a_live_take_log_replays_human_and_footswitch_messages_only(tmp_path: Path) -> None:
    take = _live_take(tmp_path)
    human = read_human(take.log_path)
    assert _notes(list(human.messages)) == [(0.5, "note_on", 60), (1.0, "note_off", 60)]
    controls = [(t, m.control, m.value) for t, m in human.messages if m.type == "control_change"]
    assert controls == [(1.25, 80, 127)]
    assert human.presses == ()  # the footswitch message fires the action again, the press line does not


def test_a_live_take_midi_file_replays_its_human_track(tmp_path: Path) -> None:
    take = _live_take(tmp_path)
    human = read_human(take.midi_path)
    assert _notes(list(human.messages)) == [(0.5, "note_on", 60), (1.0, "note_off", 60)]


def test_a_rehearsal_take_replays_without_its_ai_track(tmp_path: Path) -> None:
    midi = mido.MidiFile(type=1, ticks_per_beat=480)
    meta = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(120))])
    human = mido.MidiTrack([mido.MetaMessage("track_name", name="human")])
    human += [
        mido.Message("note_on", note=64, velocity=80, time=480),
        mido.Message("note_off", note=64, time=240),
    ]
    ai = mido.MidiTrack([mido.MetaMessage("track_name", name="ai")])
    ai += [
        mido.Message("note_on", channel=1, note=76, velocity=80),
        mido.Message("note_off", channel=1, note=76),
    ]
    midi.tracks.extend([meta, human, ai])
    path = tmp_path / "take.mid"
    midi.save(path)
    assert _notes(list(read_human(path).messages)) == [(0.5, "note_on", 64), (0.75, "note_off", 64)]


LISTEN = """
title: expression
tempo: 120
model: {kind: scripted}
sections:
  - {name: listen, mode: listen, length: 4 bars}
"""
EXPRESSION = [
    mido.Message("note_on", note=60, velocity=90),
    mido.Message("pitchwheel", pitch=4000),
    mido.Message("aftertouch", value=70),
    mido.Message("polytouch", note=60, value=50),
    mido.Message("program_change", program=5),
    mido.Message("note_off", note=60),
]


def _expression(human: list[tuple[float, mido.Message]]) -> list[tuple[float, mido.Message]]:
    return [(round(t, 3), m) for t, m in human]


def test_bends_aftertouch_and_program_changes_go_round_live_take_rehearsal_and_back(tmp_path: Path) -> None:
    played = [(0.5 + i / 8, m) for i, m in enumerate(EXPRESSION)]
    live = TakeRecorder(tmp_path, "expression", 120.0)
    live.start()
    for t, msg in played:
        live.human(msg, t)
    live.close()
    for path in (live.log_path, live.midi_path):
        assert _expression(list(read_human(path).messages)) == played
    piece = load(LISTEN)
    first = run(piece, read_human(live.log_path))
    assert _expression(first.take.human_messages) == played  # the rehearsal recorded them again
    out = first.take.write(piece, tmp_path / "rehearsal.mid")
    assert _expression(run(piece, read_human(out)).take.human_messages) == played
