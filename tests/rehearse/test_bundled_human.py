"""The bundled human part (`examples/mark_human.mid`): rebuilt byte for byte by its script, and played
like a pianist could: no pitch struck again while it still sounds."""

from __future__ import annotations

import runpy
from pathlib import Path

import mido

from tests.rehearse.helpers import MARK, ROOT


def test_no_pitch_is_struck_again_while_it_sounds() -> None:
    sounding: set[int] = set()
    restruck = []
    tick = 0
    for msg in mido.MidiFile(MARK).tracks[0]:
        tick += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            if msg.note in sounding:
                restruck.append((tick, msg.note))
            sounding.add(msg.note)
        elif msg.type in ("note_on", "note_off"):
            sounding.discard(msg.note)
    assert restruck == []
    assert sounding == set()


def test_the_script_rebuilds_the_same_bytes(tmp_path: Path) -> None:
    script = runpy.run_path(str(ROOT / "examples" / "make_human.py"))
    out = tmp_path / "mark_human.mid"
    script["compose"]().save(out)
    assert out.read_bytes() == MARK.read_bytes()
