"""`conductor perform` end to end over real MIDI: a private JACK server, virtual ports, a subprocess.

Presence only (generous polls), never timing: timing is in bench/bench_live.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import mido
import pytest

from tests.live.harness import Stage, wait_for, worker_pids

pytestmark = [pytest.mark.jack, pytest.mark.slow]
PIECE = Path(__file__).parent / "pieces" / "duet.yaml"


@pytest.fixture
def piece(tmp_path: Path) -> Path:
    path = tmp_path / "duet.yaml"
    shutil.copy(PIECE, path)
    return path


@pytest.fixture
def stage(jack_server: str, piece: Path, tmp_path: Path) -> Iterator[Stage]:
    s = Stage(piece, tmp_path / "takes")
    yield s
    s.close()


def test_the_ai_answers_a_human_phrase(stage: Stage) -> None:
    stage.play()
    answer = wait_for("AI notes", stage.ai_note_ons)
    assert {m.channel for m in answer} == {2}  # the piece's ai_channel 3, 0-based
    assert stage.interrupt() == 0


def test_after_ctrl_c_every_note_is_closed_and_the_take_holds_everything(stage: Stage) -> None:
    sent = stage.play()
    wait_for("AI notes", stage.ai_note_ons)
    assert stage.interrupt() == 0
    heard = [m for _, m in stage.heard]
    sounding: set[tuple[int, int]] = set()
    for m in heard:
        if m.type == "note_on" and m.velocity > 0:
            sounding.add((m.channel, m.note))
        elif m.type in ("note_on", "note_off"):
            sounding.discard((m.channel, m.note))
    assert sounding == set()
    assert heard[-1] == mido.Message("control_change", channel=2, control=123, value=0)
    events = stage.take_events()
    assert events[0]["kind"] == "take" and events[0]["title"] == "Live test"
    assert stage.human_played() == [list(b) for b in sent]
    assert [e["bytes"] for e in events if e["kind"] == "ai"] == [m.bytes() for m in heard]
    assert {"section", "generation", "stop"} <= {e["kind"] for e in events}
    mid = mido.MidiFile(next(stage.takes.glob("*.mid")))
    assert [t.name for t in mid.tracks] == ["conductor", "human", "ai"]
    assert sum(1 for m in mid.tracks[1] if m.type == "note_on") == len(sent) // 2


def test_the_footswitch_changes_the_section(jack_server: str, piece: Path, tmp_path: Path) -> None:
    be = mido.Backend("mido.backends.rtmidi/UNIX_JACK", load=True)
    pedal = be.open_output("test pedal", virtual=True)
    stage = Stage(piece, tmp_path / "takes", "--footswitch", "test pedal")
    try:
        wait_for("the first section in the take", lambda: stage.events("section"))
        pedal.send(mido.Message("control_change", control=80, value=127))
        pedal.send(mido.Message("control_change", control=80, value=0))
        wait_for("the next section", lambda: len(stage.events("section")) == 2)
        assert [e["name"] for e in stage.events("section")] == ["opening", "middle"]
        assert [e["action"] for e in stage.events("press")] == ["next"]
        assert [e["bytes"] for e in stage.events("footswitch")] == [[0xB0, 80, 127], [0xB0, 80, 0]]
        assert stage.interrupt() == 0
    finally:
        stage.close()
        pedal.close()


def test_piece_edits_apply_and_a_broken_edit_does_not(stage: Stage, piece: Path) -> None:
    wait_for("the take", lambda: stage.events("section"))
    text = piece.read_text()
    piece.write_text(text.replace("title: Live test", "title: Second version"))
    wait_for("the first reload", lambda: stage.events("reload"))
    subprocess.run(["sed", "-i", "s/^tempo: 120/tempo: fast/", str(piece)], check=True)
    wait_for("the rejection", lambda: stage.events("reload_rejected"))
    assert "tempo" in stage.log() and "duet.yaml" in stage.log()
    tmp = piece.with_name(".duet.yaml.tmp")
    tmp.write_text(text.replace("title: Live test", "title: Third version"))
    os.replace(tmp, piece)  # an editor's atomic save
    wait_for("the second reload", lambda: len(stage.events("reload")) == 2)
    assert [e["title"] for e in stage.events("reload")] == ["Second version", "Third version"]
    assert len(stage.events("reload_rejected")) == 1
    assert stage.interrupt() == 0


def test_killing_the_model_worker_does_not_stop_the_performance(stage: Stage) -> None:
    wait_for("the model worker ready", lambda: "model worker ready" in stage.log())
    pids = worker_pids(stage.proc.pid)
    assert len(pids) == 1
    os.kill(pids[0], signal.SIGKILL)
    wait_for("the restart message", lambda: "model worker died" in stage.log())
    wait_for("a new worker", lambda: [p for p in worker_pids(stage.proc.pid) if p != pids[0]])
    wait_for("the new worker ready", lambda: stage.log().count("model worker ready") == 2)
    since = time.monotonic()
    stage.play()
    wait_for("AI notes from the new worker", lambda: stage.ai_note_ons(since))
    assert stage.proc.poll() is None
    assert stage.interrupt() == 0


def test_the_ai_hears_not_its_own_notes_looped_back(jack_server: str, piece: Path, tmp_path: Path) -> None:
    piece.write_text(piece.read_text().replace("ai_channel: 3", "ai_channel: 1"))  # same channel as us
    stage = Stage(piece, tmp_path / "takes")
    try:
        src = next(n for n in stage.lister.names().inputs if "conductor out" in n)
        dst = next(n for n in stage.lister.names().outputs if "conductor in" in n)
        subprocess.run(["jack_connect", src, dst], check=True)
        sent = stage.play()
        wait_for("four AI notes", lambda: len(stage.ai_note_ons()) >= 4)
        note_ons = len(stage.ai_note_ons())
        assert stage.interrupt() == 0
        assert stage.human_played() == [list(b) for b in sent]  # no echo taken for the human's
        ignored = int(stage.log().split("feedback: ignored ")[1].split()[0])
        # each note-on and note-off came back and was swallowed: twice the note-ons counted, but for
        # the echoes still crossing JACK when the show stopped
        assert ignored >= note_ons > 0
    finally:
        stage.close()


def test_a_missing_footswitch_named_by_the_piece_does_not_stop_the_show(
    jack_server: str, piece: Path, tmp_path: Path
) -> None:
    piece.write_text(
        piece.read_text().replace("midi: {ai_channel: 3}", "midi: {ai_channel: 3, footswitch: FS-1}")
    )
    stage = Stage(piece, tmp_path / "takes")
    try:
        stage.play()
        assert wait_for("AI notes", stage.ai_note_ons)
        assert "no MIDI input port matches 'FS-1'" in stage.log()
        assert "continuing without it" in stage.log()
        assert stage.interrupt() == 0
    finally:
        stage.close()
