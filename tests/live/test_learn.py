"""MIDI learn prints ready-to-paste mapping lines, each once."""

from __future__ import annotations

import mido

from conductor.live.learn import Learner, mapping_line


def test_a_pedal_cc_becomes_a_control_line() -> None:
    msg = mido.Message("control_change", channel=0, control=80, value=127)
    assert mapping_line(msg) == "- {cc: 80, channel: 1, action: next}    # controls:"


def test_a_pad_note_and_a_program_change() -> None:
    assert mapping_line(mido.Message("note_on", channel=9, note=36, velocity=100)) == (
        "- {note: 36, channel: 10, action: next}    # controls:"
    )
    assert mapping_line(mido.Message("program_change", program=3)) == (
        "- {program: 3, channel: 1, action: next}    # controls:"
    )
    assert mapping_line(mido.Message("note_off", note=36)) is None


def test_a_knob_sweep_prints_a_control_then_a_param_line_once() -> None:
    learner = Learner()
    lines = [
        line
        for v in range(0, 128, 8)
        for line in learner.feed(mido.Message("control_change", control=1, value=v))
    ]
    assert lines == [
        "- {cc: 1, channel: 1, action: next}    # controls:",
        "- {cc: 1, channel: 1, param: temperature, range: [0.7, 1.3]}    # params:",
    ]
