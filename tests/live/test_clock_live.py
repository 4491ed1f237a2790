"""MIDI clock in over JACK: a clock the test sends leads `conductor perform`'s tempo; its loss is said.

Presence and the tempo the performance reports (a wide tolerance), never timing assertions.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from pathlib import Path

import mido
import pytest

from tests.live.harness import Stage, wait_for

pytestmark = [pytest.mark.jack, pytest.mark.slow]
PIECE = Path(__file__).parent / "pieces" / "duet.yaml"
TICK_S = 60.0 / 100.0 / 24  # 24 ticks a beat at 100 bpm


def send_clock(port: mido.ports.BaseOutput, stop: threading.Event) -> None:
    """Start, then ticks on an absolute schedule (no drift from sleep overshoot) until `stop`."""
    port.send(mido.Message("start"))
    start, i = time.monotonic(), 0
    while not stop.is_set():
        time.sleep(max(0.0, start + i * TICK_S - time.monotonic()))
        port.send(mido.Message("clock"))
        i += 1


def test_a_midi_clock_leads_the_tempo_and_its_loss_is_warned(jack_server: str, tmp_path: Path) -> None:
    piece = tmp_path / "duet.yaml"
    shutil.copy(PIECE, piece)
    piece.write_text(
        piece.read_text().replace("midi: {ai_channel: 3}", "midi: {ai_channel: 3, clock: test clock}")
    )
    be = mido.Backend("mido.backends.rtmidi/UNIX_JACK", load=True)
    source = be.open_output("test clock", virtual=True)
    stage = Stage(piece, tmp_path / "takes")
    stop = threading.Event()
    sender = threading.Thread(target=send_clock, args=(source, stop), daemon=True)
    try:
        sender.start()
        tempo = wait_for(
            "the clock's tempo in the log", lambda: re.findall(r"MIDI clock: ([\d.]+) bpm", stage.log())
        )
        assert 90.0 <= float(tempo[0]) <= 110.0, stage.log()  # the piece says 120
        stop.set()
        sender.join()
        wait_for("the loss warning", lambda: "MIDI clock lost" in stage.log())
        assert "keeping the last tempo" in stage.log()
        assert stage.interrupt() == 0
    finally:
        stop.set()
        stage.close()
        source.close()
