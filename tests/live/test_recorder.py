"""The take recorder: the log is written as it happens, the MIDI file at the end, the human track replays.

And it cannot die: a failure injected at every kind of call (each MIDI method, each typed event, an
OSError from the disk, a writer thread that dies or hangs) loses that one event at most — the take
goes on and both files end complete.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mido
import pytest

from conductor.engine import take_events as ev
from conductor.engine.take_midi import read_midi_text
from conductor.live.recorder import TakeRecorder, take_stem
from conductor.rehearse.human import read_human

ON = mido.Message("note_on", note=60, velocity=90)
OFF = mido.Message("note_off", note=60, velocity=0)
AI_ON = mido.Message("note_on", channel=2, note=67, velocity=70)
AI_OFF = mido.Message("note_off", channel=2, note=67, velocity=0)
PEDAL = mido.Message("control_change", control=80, value=127)

# one of every event the engine and the live loop record, as they record them
EVENTS: list[ev.TakeEvent] = [
    ev.SectionStarted("verse", 1, "duet"),
    ev.Pressed("goto", "verse"),
    ev.ParamSet("temperature", 1.25),
    ev.GenerationStarted(3, "verse", "every", 2.0, 4.0, 0.9, 0.95, 20, 7, "G major", 12, 16),
    ev.GenerationEnded(3, "verse", 16, 14, 2, 0.08),
    ev.ModelFailed(4, "verse", "RuntimeError: the model broke"),
    ev.EngineFault("ValueError: a filter broke", 3),
    ev.ReloadApplied("Second version", "verse"),
    ev.ReloadAccepted("Second version", 3.5),
    ev.ReloadRejected("piece.yaml:3: tempo: expected a number"),
    ev.WorkerRestarted(1, "the worker died (exit code -9)"),
    ev.LatenessReport(120, 0.2, 1.1, 2.5, 3, 2, 1, 0.05, 0.1, 0.2),
    ev.Stopped(),
    ev.PressIgnored("next", "debounce", 40.0),
    ev.NotesLate(2, 307.0, "note_on 64 ch 3"),
]


def load_take_human(path: Path) -> list[mido.Message]:
    """The human's messages of a take (`.jsonl` or `.mid`), each with `.time` = seconds since the start,
    read by `conductor rehearse --human`'s own reader."""
    part = read_human(path, kinds=("human",))
    return [msg.copy(time=t) for t, msg in part.messages]


def lines(path: Path) -> list[dict[str, Any]]:
    """Every line of a take log, each a JSON object; the file ends with a complete line."""
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n") or not text
    return [json.loads(line) for line in text.splitlines()]


def kinds(path: Path) -> list[str]:
    return [line["kind"] for line in lines(path)]


def notes_in(mid: mido.MidiFile, track: str) -> list[tuple[str, int]]:
    part = next(t for t in mid.tracks if t.name == track)
    return [(m.type, m.note) for m in part if m.type in ("note_on", "note_off")]


def play_everything(rec: TakeRecorder) -> None:
    """The good events of a performance: every recording method, every event kind."""
    rec.human(ON, 0.5)
    rec.ai(AI_ON, 0.75)
    rec.footswitch(PEDAL, 0.9)
    for i, event in enumerate(EVENTS):
        rec.record(event, 1.0 + i / 10)
    rec.human(OFF, 3.0)
    rec.ai(AI_OFF, 3.25)


GOOD_KINDS = ["take", "human", "ai", "footswitch", *(e.kind for e in EVENTS), "human", "ai"]


def assert_complete(rec: TakeRecorder, extra: tuple[str, ...] = ()) -> None:
    assert kinds(rec.log_path) == GOOD_KINDS + list(extra)
    mid = mido.MidiFile(rec.midi_path)
    assert notes_in(mid, "human") == [("note_on", 60), ("note_off", 60)]
    assert notes_in(mid, "ai") == [("note_on", 67), ("note_off", 67)]
    assert [m.text for m in mid.tracks[0] if m.type == "marker"] == ["verse"]


def test_file_names_come_from_piece_and_time() -> None:
    import datetime as dt

    assert take_stem("Saturday set!", dt.datetime(2026, 11, 22, 1, 2, 3)) == "saturday-set_20261122-010203"


def test_every_event_kind_is_covered_here() -> None:
    own = {ev.TakeStarted, ev.TakeTrouble}  # written by the recorder itself
    declared = {c for c in vars(ev).values() if isinstance(c, type) and issubclass(c, ev.TakeEvent)}
    assert {type(e) for e in EVENTS} == declared - own - {ev.TakeEvent}


def test_the_log_is_on_disk_while_the_performance_runs(tmp_path: Path) -> None:
    rec = TakeRecorder(tmp_path, "Test piece", bpm=120, flush_s=0.05)
    rec.start()
    rec.human(ON, 0.5)
    rec.record(ev.SectionStarted("verse", 0, "listen"), 1.0)
    deadline = time.monotonic() + 10
    while kinds(rec.log_path) != ["take", "human", "section"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert kinds(rec.log_path) == ["take", "human", "section"]
    rec.close()


def test_close_writes_every_line_and_a_midi_file_with_tracks_and_markers(tmp_path: Path) -> None:
    rec = TakeRecorder(tmp_path, "Test piece", bpm=120, meter="3/4")
    rec.start()
    play_everything(rec)
    rec.close()
    assert_complete(rec)
    log = lines(rec.log_path)
    assert log[0] == {"t": 0.0, "kind": "take", "title": "Test piece", "bpm": 120, "meter": "3/4",
                      "started": rec.started.isoformat()}  # fmt: skip
    gen = next(line for line in log if line["kind"] == "generation")
    assert gen == {
        "t": 1.3, "kind": "generation", "generation": 3, "section": "verse", "reason": "every", "start": 2.0,
        "until": 4.0, "temperature": 0.9, "top_p": 0.95, "top_k": 20, "seed": 7, "key": "G major",
        "context": 12, "events": 16,
    }  # fmt: skip
    error = next(line for line in log if line["kind"] == "model_error")
    assert error == {"t": 1.5, "kind": "model_error", "generation": 4, "section": "verse",
                     "error": "RuntimeError: the model broke"}  # fmt: skip
    assert next(line for line in log if line["kind"] == "footswitch")["bytes"] == [0xB0, 80, 127]
    mid = mido.MidiFile(rec.midi_path)
    assert [t.name for t in mid.tracks] == ["conductor", "human", "ai"]
    sig = next(m for m in mid.tracks[0] if m.type == "time_signature")
    assert (sig.numerator, sig.denominator) == (3, 4)
    assert rec.failures == 0


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


# ---------------------------------------------------------------- failures injected


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("cannot print me")


@dataclass(frozen=True, slots=True)
class Broken(ev.TakeEvent):
    kind = "broken"

    def fields(self) -> dict[str, Any]:
        raise KeyError("no fields today")


def out_of_range() -> mido.Message:
    """A note-on whose pitch was forced past 127 (mido checks only through its own setters)."""
    msg = mido.Message("note_on", note=60, velocity=90)
    vars(msg)["note"] = 300
    return msg


BAD: dict[str, Callable[[TakeRecorder, float], None]] = {
    "human: a string, not a message": lambda rec, t: rec.human("error text", t),  # type: ignore[arg-type]
    "ai: no message at all": lambda rec, t: rec.ai(None, t),  # type: ignore[arg-type]
    "footswitch: not a message": lambda rec, t: rec.footswitch(object(), t),  # type: ignore[arg-type]
    "ai: at a time that is no number": lambda rec, t: rec.ai(AI_ON, math.nan),
    "human: a message no MIDI file can hold": lambda rec, t: rec.human(out_of_range(), t),
    "record: a string, not an event": lambda rec, t: rec.record("error", t),  # type: ignore[arg-type]
    "record: serialisation raises": lambda rec, t: rec.record(Broken(), t),
    "record: a field that cannot be written": lambda rec, t: rec.record(ev.EngineFault(Unprintable()), t),  # type: ignore[arg-type]
    "record: a section at no time": lambda rec, t: rec.record(ev.SectionStarted("x", 9, "duet"), math.inf),
}  # fmt: skip


@pytest.mark.parametrize("where", [0, 4, 9, 19])
@pytest.mark.parametrize("bad", list(BAD))
def test_one_bad_event_anywhere_loses_only_itself(tmp_path: Path, bad: str, where: int) -> None:
    rec = TakeRecorder(tmp_path, "Test piece", bpm=120)
    rec.start()
    good = _calls()
    for call in good[:where]:
        call(rec)
    BAD[bad](rec, 1.05)
    BAD[bad](rec, 1.06)  # the same trouble twice: a second error used to kill the take at close()
    for call in good[where:]:
        call(rec)
    rec.close()
    assert_complete(rec, extra=("take_errors",))
    assert rec.failures == 2
    trouble = lines(rec.log_path)[-1]
    assert trouble["failed"] == 2 and trouble["first"]


def _calls() -> list[Callable[[TakeRecorder], None]]:
    """`play_everything`, one call at a time."""
    calls: list[Callable[[TakeRecorder], None]] = [
        lambda r: r.human(ON, 0.5),
        lambda r: r.ai(AI_ON, 0.75),
        lambda r: r.footswitch(PEDAL, 0.9),
    ]
    calls += [lambda r, e=e, i=i: r.record(e, 1.0 + i / 10) for i, e in enumerate(EVENTS)]  # type: ignore[misc]
    return [*calls, lambda r: r.human(OFF, 3.0), lambda r: r.ai(AI_OFF, 3.25)]


def test_each_trouble_is_logged_once_with_its_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rec = TakeRecorder(tmp_path, "Test piece", bpm=120)
    rec.start()
    with caplog.at_level(logging.ERROR):
        for i in range(5):
            rec.human("error text", float(i))  # type: ignore[arg-type]
        rec.close()
    troubles = [r.getMessage() for r in caplog.records if "cannot record" in r.getMessage()]
    assert len(troubles) == 1
    assert "a human event at 0.000 s" in troubles[0] and "AttributeError" in troubles[0]
    assert rec.failures == 5


class FlakyFile:
    """The log file, with the disk full for some writes."""

    def __init__(self, real: Any, failing: set[int]) -> None:
        self.real, self.failing, self.writes = real, failing, 0

    def write(self, text: str) -> int:
        self.writes += 1
        if self.writes in self.failing:
            raise OSError(28, "No space left on device")
        return int(self.real.write(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_a_failing_disk_write_loses_only_that_line(tmp_path: Path) -> None:
    rec = TakeRecorder(tmp_path, "Test piece", bpm=120)
    rec._file = FlakyFile(rec._file, failing={3, 9})  # the AI note-on and a generation_end line
    rec.start()
    play_everything(rec)
    rec.close()
    expected = GOOD_KINDS[:2] + GOOD_KINDS[3:8] + GOOD_KINDS[9:] + ["take_errors"]
    assert kinds(rec.log_path) == expected
    mid = mido.MidiFile(rec.midi_path)  # the MIDI file has what the log could not keep
    assert notes_in(mid, "ai") == [("note_on", 67), ("note_off", 67)]
    assert rec.failures == 2


def test_close_finishes_the_take_when_the_writer_thread_has_died(tmp_path: Path) -> None:
    rec = TakeRecorder(tmp_path, "Test piece", bpm=120)

    def dies() -> None:
        raise MemoryError("the writer thread is gone")

    rec._write_loop = dies  # type: ignore[method-assign]
    rec.start()
    rec._thread.join(10)
    assert not rec._thread.is_alive()
    play_everything(rec)
    rec.close()
    assert_complete(rec)


class StuckFile(FlakyFile):
    """The log file on a disk that stops answering (a hung network mount) until `release` is set."""

    def __init__(self, real: Any, after: int) -> None:
        super().__init__(real, set())
        self.after, self.release = after, threading.Event()

    def write(self, text: str) -> int:
        self.writes += 1
        if self.writes > self.after:
            self.release.wait()
        return int(self.real.write(text))


def test_close_writes_the_midi_file_even_when_the_writer_is_stuck(tmp_path: Path) -> None:
    rec = TakeRecorder(tmp_path, "Test piece", bpm=120)
    stuck = StuckFile(rec._file, after=2)
    rec._file = stuck
    rec.start()
    play_everything(rec)
    closing = threading.Thread(target=rec.close, kwargs={"timeout": 0.2})
    closing.start()
    closing.join(60)
    try:
        assert not closing.is_alive()  # close() came back although the log's file never did
        mid = mido.MidiFile(rec.midi_path)
        assert notes_in(mid, "human") == [("note_on", 60), ("note_off", 60)]
        assert notes_in(mid, "ai") == [("note_on", 67), ("note_off", 67)]
        assert [m.text for m in mid.tracks[0] if m.type == "marker"] == ["verse"]
    finally:
        stuck.release.set()
    rec._thread.join(10)
    assert not rec._thread.is_alive()  # woken, the writer ends the log with what close() kept for it
    assert_complete(rec)


def test_a_failing_midi_write_still_closes_the_log(tmp_path: Path) -> None:
    rec = TakeRecorder(tmp_path, "Test piece", bpm=120)
    rec.midi_path.mkdir()  # the MIDI file cannot replace a folder
    rec.start()
    play_everything(rec)
    rec.close()
    assert kinds(rec.log_path) == GOOD_KINDS
    assert rec.midi_path.is_dir() and not list(tmp_path.glob("*.tmp"))


def test_numbers_that_json_cannot_hold_are_written_as_text(tmp_path: Path) -> None:
    rec = TakeRecorder(tmp_path, "Test piece", bpm=120)
    rec.start()
    rec.record(ev.LatenessReport(0, math.nan, math.inf, math.inf), 1.0)
    rec.close()
    assert lines(rec.log_path)[-1] == {"t": 1.0, "kind": "lateness", "count": 0, "p50_ms": "nan",
                                       "p99_ms": "inf", "max_ms": "inf", "scheduled_late": 0, "late_notes": 0,
                                       "dropped_late": 0, "clock_p50_ms": 0.0, "clock_p99_ms": 0.0,
                                       "clock_max_ms": 0.0}  # fmt: skip


def test_section_names_in_any_script_reach_both_files(tmp_path: Path) -> None:
    name = "Ünïcødé ☃ 日本"
    rec = TakeRecorder(tmp_path, name, bpm=120)
    rec.start()
    rec.record(ev.SectionStarted(name, 0, "duet"), 0.0)
    rec.human(ON, 0.5)
    rec.record(ev.SectionStarted("Ωmega", 1, "listen"), 1.0)
    rec.human(OFF, 1.5)
    rec.close()
    assert [line.get("name") for line in lines(rec.log_path)][1:4:2] == [name, "Ωmega"]
    assert lines(rec.log_path)[0]["title"] == name
    mid = mido.MidiFile(rec.midi_path)
    assert [read_midi_text(m.text) for m in mid.tracks[0] if m.type == "marker"] == [name, "Ωmega"]
    assert [(m.type, m.note) for m in load_take_human(rec.midi_path)] == [("note_on", 60), ("note_off", 60)]
    assert rec.failures == 0


def test_model_errors_in_a_performance_leave_a_complete_take(tmp_path: Path) -> None:
    """Issue 10, item 1: two model errors killed the writer and lost the .mid; here there are four."""
    from conductor.backends.scripted import ScriptedModel
    from conductor.engine.clock import VirtualClock
    from conductor.engine.engine import Engine
    from conductor.engine.runner import InlineRunner
    from conductor.engine.timing import Latency
    from tests.engine.pieces import piece, section
    from tests.engine.test_engine import run_until

    rec = TakeRecorder(tmp_path, "Errors", bpm=120)
    rec.start()
    clock = VirtualClock()
    runner = InlineRunner(ScriptedModel("fail", 3), clock, Latency(0.02, 0.002))
    engine = Engine(piece(section("a", length=None)), clock, runner, recorder=rec, lead=0.1)
    run_until(clock, engine, 9.0)
    engine.stop(9.0)
    engine.drain(99.0)
    rec.close()
    log = lines(rec.log_path)
    errors = [line for line in log if line["kind"] == "model_error"]
    assert len(errors) == 4 and errors[0]["error"] == "RuntimeError: scripted failure after 3 notes"
    assert log[-1]["kind"] == "stop" and rec.failures == 0
    mid = mido.MidiFile(rec.midi_path)
    assert [t.name for t in mid.tracks] == ["conductor", "human", "ai"]
    assert [m.text for m in mid.tracks[0] if m.type == "marker"] == ["a"]
