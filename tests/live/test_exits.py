"""Every way a live performance ends: every note closed, the take (.jsonl and .mid) saved, the ports
closed, a meaningful exit status, and never a traceback (issue 10, item 6 and the exit-path audit).

Presence only (generous polls for events), never timing.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import mido
import pytest

from conductor.live.perform import Performance, PerformOptions
from conductor.live.port_watch import PortLister
from conductor.live.ports import VIRTUAL_IN, VIRTUAL_OUT
from conductor.piece import load_piece
from tests.live.conftest import kill_server
from tests.live.harness import STARTED, Stage, Terminal, wait_for, worker_pids

pytestmark = [pytest.mark.jack, pytest.mark.slow]
PIECE = Path(__file__).parent / "pieces" / "duet.yaml"


@pytest.fixture
def piece(tmp_path: Path) -> Path:
    path = tmp_path / "duet.yaml"
    shutil.copy(PIECE, path)
    return path


def with_model(piece: Path, model: str) -> Path:
    piece.write_text(
        piece.read_text().replace("model: {kind: scripted, config: arpeggio}", f"model: {model}")
    )
    return piece


def assert_ended_cleanly(stage: Stage) -> None:
    """Every note heard closed, All Notes Off last; the take's log ends with `stop` and the lateness
    summary and its MIDI file holds the human's notes."""
    sounding: set[tuple[int, int]] = set()
    for _, m in stage.heard:
        if m.type == "note_on" and m.velocity > 0:
            sounding.add((m.channel, m.note))
        elif m.type in ("note_on", "note_off"):
            sounding.discard((m.channel, m.note))
    assert sounding == set()
    assert stage.heard[-1][1] == mido.Message("control_change", channel=2, control=123, value=0)
    kinds = [e["kind"] for e in stage.take_events()]
    assert "stop" in kinds and kinds[-1] == "lateness"
    mid = mido.MidiFile(next(stage.takes.glob("*.mid")))
    assert [t.name for t in mid.tracks] == ["conductor", "human", "ai"]
    assert sum(1 for m in mid.tracks[1] if m.type == "note_on") > 0
    assert "Traceback" not in stage.log()


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM, signal.SIGQUIT])
def test_every_stop_signal_ends_the_show_like_ctrl_c(
    jack_server: str, piece: Path, tmp_path: Path, signum: signal.Signals
) -> None:
    stage = Stage(piece, tmp_path / "takes")
    try:
        stage.play()
        wait_for("AI notes", stage.ai_note_ons)
        assert stage.interrupt(signum) == 0
        assert f"stopping ({signum.name})" in stage.log()
        assert_ended_cleanly(stage)
    finally:
        stage.close()


def test_sigterm_to_the_whole_process_group_ends_the_show_without_a_worker_restart(
    jack_server: str, piece: Path, tmp_path: Path
) -> None:
    stage = Stage(piece, tmp_path / "takes")  # in a process group of its own (systemd, tmux)
    try:
        stage.play()
        wait_for("AI notes", stage.ai_note_ons)
        pids = worker_pids(stage.proc.pid)
        assert pids
        os.killpg(stage.proc.pid, signal.SIGTERM)  # the worker gets it too, and must leave it to us
        assert stage.wait() == 0
        assert "restarting" not in stage.log() and not stage.events("worker_restart")
        assert_ended_cleanly(stage)
        assert not [p for p in pids if Path(f"/proc/{p}").exists()]  # stopped by the parent all the same
    finally:
        stage.close()


def test_a_closed_terminal_ends_the_show_and_saves_the_take(
    jack_server: str, piece: Path, tmp_path: Path
) -> None:
    terminal = Terminal()
    stage = Stage(piece, tmp_path / "takes", terminal=terminal)  # the stage display on, in the terminal
    try:
        stage.play()
        wait_for("AI notes", stage.ai_note_ons)
        wait_for("the stage display", lambda: "heard" in terminal.text() and "clock" in terminal.text())
        shown = terminal.text()
        assert "loading scripted arpeggio …" in shown  # from the first screen, while the model loads
        assert "scripted arpeggio — " in shown and STARTED in shown  # log lines print above the display
        pids = worker_pids(stage.proc.pid)
        terminal.hang_up()  # the kernel sends SIGHUP; every write to the terminal fails from now on
        assert stage.wait() == 0
        assert_ended_cleanly(stage)
        assert not [p for p in pids if Path(f"/proc/{p}").exists()]  # no model worker left behind
    finally:
        stage.close()


def perform_cmd(piece: Path, tmp_path: Path) -> list[str]:
    """`conductor perform` on virtual JACK ports, logging to the console (no stage display)."""
    return [sys.executable, "-m", "conductor", "perform", str(piece), "--virtual", "--midi-api", "jack",
            "--no-display", "--takes", str(tmp_path / "takes")]  # fmt: skip


def test_ctrl_c_while_the_model_loads_ends_at_once(jack_server: str, piece: Path, tmp_path: Path) -> None:
    with_model(piece, "{kind: skytnt, config: tv2o-medium}")  # seconds to import torch and build it
    log = tmp_path / "perform.log"
    with log.open("w") as out:
        proc = subprocess.Popen(perform_cmd(piece, tmp_path), stdout=out, stderr=subprocess.STDOUT)
        try:
            workers = wait_for("the model worker", lambda: proc.poll() is None and worker_pids(proc.pid))
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=60) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    text = log.read_text()
    assert "stopped before the performance began" in text and "Traceback" not in text
    assert "performance started" not in text
    assert not [p for p in workers if Path(f"/proc/{p}").exists()]


def test_a_model_that_cannot_load_exits_1_with_the_reason(
    jack_server: str, piece: Path, tmp_path: Path
) -> None:
    with_model(piece, "{kind: scripted, config: waltz}")
    done = subprocess.run(perform_cmd(piece, tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "unknown scripted pattern 'waltz'" in done.stderr and "Traceback" not in done.stderr


def test_model_errors_in_a_row_leave_the_show_and_the_take_whole(
    jack_server: str, piece: Path, tmp_path: Path
) -> None:
    stage = Stage(with_model(piece, "{kind: scripted, config: 'fail:1'}"), tmp_path / "takes")
    try:
        stage.play()
        wait_for("two model errors", lambda: stage.log().count("failed in the model") >= 2)
        assert stage.interrupt() == 0
        assert_ended_cleanly(stage)
        assert len(stage.events("model_error")) >= 2
    finally:
        stage.close()


def test_a_port_error_at_start_closes_the_ports_already_open(
    jack_server: str, piece: Path, tmp_path: Path
) -> None:
    opts = PerformOptions(virtual=True, midi_api="jack", display=False, takes=tmp_path / "takes",
                          footswitch="no such pedal")  # fmt: skip
    assert Performance(load_piece(piece), opts).run() == 2  # output and input opened, the pedal not
    names = PortLister("jack").names()
    assert not [n for n in names.inputs + names.outputs if VIRTUAL_IN in n or VIRTUAL_OUT in n]
    assert not list((tmp_path / "takes").glob("*"))  # nothing started: no take


def test_a_takes_folder_that_cannot_be_written_is_one_line_and_exit_2(
    jack_server: str, piece: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "takes"
    blocked.write_text("a file where the takes folder should be\n")
    opts = PerformOptions(virtual=True, midi_api="jack", display=False, takes=blocked / "tonight")
    assert Performance(load_piece(piece), opts).run() == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot record the take in {blocked / 'tonight'}" in err
    assert "--takes DIR" in err and "Traceback" not in err
    names = PortLister("jack").names()  # nothing was opened (or all of it closed again)
    assert not [n for n in names.inputs + names.outputs if VIRTUAL_IN in n or VIRTUAL_OUT in n]


def test_jackd_dying_mid_show_ends_it_with_exit_3_and_the_take_saved(
    jack_server: str, piece: Path, tmp_path: Path
) -> None:
    stage = Stage(piece, tmp_path / "takes")
    try:
        stage.play()
        wait_for("AI notes", stage.ai_note_ons)
        assert kill_server() == 1  # rtmidi's listing goes stale: only libjack's shutdown call tells
        assert stage.proc.wait(timeout=60) == 3
        log = stage.log()
        errors = [line for line in log.splitlines() if "the JACK server has stopped" in line]
        assert len(errors) == 1 and "stopping and saving the take" in errors[0]
        kinds = [e["kind"] for e in stage.take_events()]
        assert "stop" in kinds and kinds[-1] == "lateness"
        mid = mido.MidiFile(next(stage.takes.glob("*.mid")))
        assert sum(1 for m in mid.tracks[1] if m.type == "note_on") > 0
        assert "Traceback" not in log
    finally:
        stage.close()
