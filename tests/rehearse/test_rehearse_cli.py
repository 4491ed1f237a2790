"""`conductor rehearse`: the take file's shape, the plot, presses, and byte-exact reproducibility."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest

from conductor.cli import main
from conductor.engine.take_midi import midi_text, read_midi_text
from conductor.piece.compiled import Action
from conductor.rehearse.human import Press, read_human
from tests.rehearse.helpers import MARK

PIECE = """
title: Saturday test
tempo: 96
meter: 4/4
model: markov
midi: {ai_channel: 2, program: 1}
sections:
  - {name: intro, mode: listen, length: 4 bars}
  - {name: duet, mode: duet, length: footswitch}
  - {name: fours, mode: trading, length: 8 bars, turns: {bars: 2, starts: human}}
  - {name: comp, mode: ai_chords, length: 4 bars, then: stop}
"""


@pytest.fixture()
def piece(tmp_path: Path) -> Path:
    path = tmp_path / "saturday.yaml"
    path.write_text(PIECE)
    return path


def rehearse(piece: Path, out: Path, seed: int, capsys: pytest.CaptureFixture[str]) -> str:
    argv = ["rehearse", str(piece), "--human", str(MARK), "--out", str(out), "--seed", str(seed)]
    assert main([*argv, "--press", "21"]) == 0
    return capsys.readouterr().out


def test_plot_alone_draws_next_to_the_take(
    piece: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "take.mid"
    assert main(["rehearse", str(piece), "--human", str(MARK), "--out", str(out), "--plot"]) == 0
    assert f"plot: {out.with_suffix('.png')}" in capsys.readouterr().out
    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_take_has_human_and_ai_tracks_section_markers_and_tempo(
    piece: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "take.mid"
    printed = rehearse(piece, out, 1, capsys)
    assert f"take: {out}" in printed and f"plot: {out.with_suffix('.png')}" in printed
    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    midi = mido.MidiFile(out)
    names = [track.name for track in midi.tracks]
    assert names == ["conductor", "human", "ai"]
    meta = midi.tracks[0]
    assert [m.tempo for m in meta if m.type == "set_tempo"] == [mido.bpm2tempo(96)]
    markers = [(m.text, t) for m, t in _ticks(meta) if m.type == "marker"]
    # intro is 4 bars; the press at 21 s lands on the next bar (22.5 s); fours lasts 8 bars
    bar = 4 * 480
    assert markers == [("intro", 0), ("duet", 4 * bar), ("fours", 9 * bar), ("comp", 17 * bar)]
    ai = [m for m in midi.tracks[2] if m.type == "note_on" and m.velocity > 0]
    assert ai and {m.channel for m in ai} == {1}
    assert [m.program for m in midi.tracks[2] if m.type == "program_change"] == [
        0
    ]  # GM program 1 is 0 on the wire


def test_same_seed_same_bytes(piece: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    takes = []
    for i, seed in enumerate((7, 7, 8)):
        out = tmp_path / f"take{i}.mid"
        rehearse(piece, out, seed, capsys)
        takes.append(out.read_bytes())
    assert takes[0] == takes[1]
    assert takes[0] != takes[2]


def test_errors_a_musician_can_fix(piece: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rehearse", str(piece), "--human", str(tmp_path / "missing.mid")]) == 1
    assert "missing.mid" in capsys.readouterr().err
    assert main(["rehearse", str(piece), "--human", str(MARK), "--press", "soon"]) == 1
    assert "--press expects seconds" in capsys.readouterr().err


def _ticks(track: mido.MidiTrack) -> list[tuple[mido.Message, int]]:
    out, tick = [], 0
    for msg in track:
        tick += msg.time
        out.append((msg, tick))
    return out


def test_a_learnt_markov_model_is_saved_with_the_take_and_learning_continues(
    piece: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    first = tmp_path / "first.mid"
    printed = rehearse(piece, first, 1, capsys)
    state = first.with_suffix(".markov.json").resolve()
    assert f"learnt model: {state}" in printed
    heard = json.loads(state.read_text())["live"]["events"]
    assert heard > 0
    # the next rehearsal starts from that state and keeps learning
    again = tmp_path / "again.yaml"
    again.write_text(PIECE.replace("model: markov", f"model: {{kind: markov, markov: {{state: '{state}'}}}}"))
    second = tmp_path / "second.mid"
    rehearse(again, second, 1, capsys)
    assert json.loads(second.with_suffix(".markov.json").read_text())["live"]["events"] > heard


UNICODE = "Ünïcødé ☃ 日本"


def test_section_names_in_any_script_survive_the_take(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    piece = tmp_path / "unicode.yaml"
    piece.write_text(
        PIECE.replace("name: duet", f'name: "{UNICODE}"').replace("name: intro", "name: Ωmega"),
        encoding="utf-8",
    )
    out = tmp_path / "take.mid"
    rehearse(piece, out, 1, capsys)
    markers = [read_midi_text(m.text) for m in mido.MidiFile(out).tracks[0] if m.type == "marker"]
    assert markers == ["Ωmega", UNICODE, "fours", "comp"]
    replayed = read_human(out)  # the take replays as the human: its section markers are not presses
    assert replayed.messages and replayed.presses == ()


def test_a_goto_marker_in_utf8_reaches_its_section(tmp_path: Path) -> None:
    midi = mido.MidiFile(type=1)
    midi.tracks.append(
        mido.MidiTrack([mido.MetaMessage("marker", text=midi_text(f"goto {UNICODE}"), time=960)])
    )
    path = tmp_path / "human.mid"
    midi.save(path)
    assert read_human(path).presses == (Press(1.0, Action.GOTO, UNICODE),)


def test_the_default_take_goes_where_perform_records(
    piece: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path / "..")  # not the piece's folder: the default must not depend on it
    assert main(["rehearse", str(piece), "--human", str(MARK), "--press", "21"]) == 0
    take = tmp_path / "takes" / "saturday-rehearsal.mid"
    assert f"take: {take}" in capsys.readouterr().out and take.exists()
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text(PIECE + "recording: {folder: gig-takes}\n")
    assert main(["rehearse", str(elsewhere), "--human", str(MARK), "--press", "21"]) == 0
    assert (tmp_path / "gig-takes" / "elsewhere-rehearsal.mid").exists()


def test_warnings_before_a_rehearsal_that_would_surprise(
    piece: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "t.mid")
    assert main(["rehearse", str(piece), "--human", str(MARK), "--out", out]) == 0
    err = capsys.readouterr().err
    assert f"warning: {piece}, line 9: section 'duet' waits for the footswitch and nothing presses it" in err
    assert "has no notes" not in err
    assert main(["rehearse", str(piece), "--human", str(MARK), "--out", out, "--press", "21"]) == 0
    assert "warning" not in capsys.readouterr().err
    quiet = tmp_path / "quiet.mid"
    midi = mido.MidiFile()
    midi.tracks.append(mido.MidiTrack([mido.MetaMessage("marker", text="next", time=960)]))
    midi.save(quiet)
    assert main(["rehearse", str(piece), "--human", str(quiet), "--out", out]) == 0
    err = capsys.readouterr().err
    assert err.strip() == f"warning: {quiet} has no notes: the AI will hear nothing from the human"


def test_a_mapped_footswitch_in_the_human_file_counts_as_a_press(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    piece = tmp_path / "mapped.yaml"
    piece.write_text(PIECE + "controls:\n  - {cc: 80, action: next}\n")
    human = tmp_path / "pedal.mid"
    midi = mido.MidiFile()
    midi.tracks.append(
        mido.MidiTrack(
            [
                mido.Message("note_on", note=60, velocity=80),
                mido.Message("note_off", note=60, time=480),
                mido.Message("control_change", control=80, value=127, time=9600),
            ]
        )
    )
    midi.save(human)
    assert main(["rehearse", str(piece), "--human", str(human), "--out", str(tmp_path / "t.mid")]) == 0
    assert "footswitch" not in capsys.readouterr().err
