"""A chattering footswitch in a rehearsal: 50 presses in 2 s move one section on, and the piece
ends only on a confirmed `next` (issue 10, item 12)."""

from __future__ import annotations

from pathlib import Path

import mido

from conductor.cli import main
from conductor.engine.take_events import PressIgnored, Stopped
from conductor.rehearse import read_human
from tests.rehearse.helpers import balanced, load, run

PIECE = """
title: Pedal test
tempo: 120
meter: 4/4
model: {kind: scripted, config: arpeggio}
midi: {ai_channel: 2}
controls:
  - {cc: 80, action: next}
sections:
  - {name: a, mode: duet, length: footswitch, cadence: {every: 1 bar}}
  - {name: b, mode: duet, length: footswitch, cadence: {every: 1 bar}}
  - {name: c, mode: duet, length: footswitch, cadence: {every: 1 bar}}
"""


def human_file(path: Path, presses: list[float]) -> Path:
    """A MIDI file (120 bpm, 480 ticks a beat): a note every beat for 30 s, and pedal presses
    (CC 80 127, then 0 after 20 ms) at `presses` seconds."""
    timed: list[tuple[float, mido.Message]] = []
    for beat in range(60):
        timed += [(beat * 0.5, mido.Message("note_on", note=60 + beat % 12, velocity=80)),
                  (beat * 0.5 + 0.3, mido.Message("note_off", note=60 + beat % 12))]  # fmt: skip
    for t in presses:
        timed += [(t, mido.Message("control_change", control=80, value=127)),
                  (t + 0.02, mido.Message("control_change", control=80, value=0))]  # fmt: skip
    track, last = mido.MidiTrack(), 0
    for t, msg in sorted(timed, key=lambda item: item[0]):
        tick = round(t * 960)  # 960 ticks a second at 120 bpm
        track.append(msg.copy(time=tick - last))
        last = tick
    midi = mido.MidiFile(ticks_per_beat=480)
    midi.tracks.append(track)
    midi.save(path)
    return path


BURST = [4.0 + 0.04 * i for i in range(50)]  # 50 presses in 2 s


def test_a_burst_of_50_presses_moves_one_section_and_a_stop_needs_confirming(tmp_path: Path) -> None:
    presses = [*BURST, 10.0, 14.0, 20.0, 21.0]  # burst: a→b; 10: b→c; 14: end asked, not confirmed;
    part = read_human(human_file(tmp_path / "pedal.mid", presses))  # 20 asked again, 21 confirms
    result = run(load(PIECE), part)
    take = result.take
    assert [(round(t, 3), name) for t, name in take.sections] == [(0.0, "a"), (4.0, "b"), (10.0, "c")]
    assert [(round(t, 3), a) for t, a, _ in take.presses] == [(4.0, "next"), (10.0, "next"), (21.0, "next")]
    ignored = [(round(t, 2), e.why) for t, e in take.of(PressIgnored)]
    assert ignored == [(4.04, "debounce"), (14.0, "confirm_stop"), (20.0, "confirm_stop")]
    assert result.engine.stopped and [round(t, 3) for t, _ in take.of(Stopped)] == [22.0]
    assert take.human_messages and all(m.type != "control_change" for _, m in take.human_messages)
    assert balanced(take.ai_messages)


def test_the_rehearse_command_survives_the_burst(tmp_path: Path) -> None:
    piece = tmp_path / "pedal.yaml"
    piece.write_text(PIECE)
    human = human_file(tmp_path / "pedal.mid", BURST)
    out = tmp_path / "take.mid"
    assert main(["rehearse", str(piece), "--human", str(human), "--out", str(out)]) == 0
    markers = [m.text for m in mido.MidiFile(out).tracks[0] if m.type == "marker"]
    assert markers == ["a", "b"]
