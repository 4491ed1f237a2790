"""The human part of a rehearsal: messages and marker presses read from a MIDI file; --press."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest

from conductor.piece.compiled import Action
from conductor.rehearse.human import Press, parse_marker, parse_presses, read_human


def test_markers_become_presses_and_channel_messages_are_played(tmp_path: Path) -> None:
    midi = mido.MidiFile(type=0, ticks_per_beat=480)
    midi.tracks.append(
        mido.MidiTrack(
            [
                mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(120)),
                mido.Message("note_on", note=60, velocity=90, time=0),
                mido.MetaMessage("marker", text="next", time=480),
                mido.Message("note_off", note=60, time=0),
                mido.Message("control_change", control=80, value=127, time=480),
                mido.MetaMessage("marker", text="goto coda", time=240),
                mido.MetaMessage("marker", text="verse 2", time=0),
            ]
        )
    )
    path = tmp_path / "h.mid"
    midi.save(path)
    part = read_human(path)
    assert part.messages == (
        (0.0, mido.Message("note_on", note=60, velocity=90)),
        (0.5, mido.Message("note_off", note=60)),
        (1.0, mido.Message("control_change", control=80, value=127)),
    )
    assert part.presses == (Press(0.5, Action.NEXT), Press(1.25, Action.GOTO, "coda"))
    assert part.end == 1.25
    merged = part.with_presses(parse_presses("0.75,2"))
    assert [p.t for p in merged.presses] == [0.5, 0.75, 1.25, 2.0]


def test_parse_marker_and_presses() -> None:
    assert parse_marker("Panic", 3.0) == Press(3.0, Action.PANIC)
    assert parse_marker("chorus", 3.0) is None
    assert parse_presses("12.5, 40") == [Press(12.5, Action.NEXT), Press(40.0, Action.NEXT)]
    with pytest.raises(ValueError, match="--press expects seconds"):
        parse_presses("12.5,soon")
