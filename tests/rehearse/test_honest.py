"""Honest rehearsal: the virtual clock is charged the model's measured compute.

The compute is injected (a model that moves a fake timer by a fixed cost per decoded event), so these
contracts never depend on how fast the machine is: a slow backend drops notes as late and gets the
"cannot" verdict, a fast one plays everything and gets "can".
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from rich.console import Console

from conductor.backends.base import GenerationRequest
from conductor.backends.scripted import ScriptedModel
from conductor.cli import main
from conductor.commands.rehearse import timing_for
from conductor.core.events import Note, Source
from conductor.engine.clock import VirtualClock
from conductor.engine.runner import GenerationDone, InlineRunner, NoteArrived
from conductor.engine.timing import Latency, Measured
from conductor.rehearse import rehearse
from conductor.rehearse.summary import COLUMNS, first_note_latencies, percentile, summary_table, verdict
from tests.engine.test_runner import request
from tests.rehearse.helpers import MARK, human, load

PIECE = """
title: Honest
tempo: 120
meter: 4/4
model: {kind: scripted}
sections:
  - {name: listen, mode: listen, length: 2 bars}
  - {name: duet, mode: duet, length: 6 bars, cadence: {every: 1 bars}, output: {events: 8}}
  - {name: solo, mode: ai_solo, length: 4 bars, then: stop}
"""


class FakeTimer:
    """A wall clock that only the slow model moves."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class Costly:
    """A scripted model whose every decoded event (and every observe) costs `cost` fake seconds."""

    def __init__(self, timer: FakeTimer, cost: float, observe_cost: float = 0.0) -> None:
        self.inner, self.timer, self.cost, self.observe_cost = ScriptedModel(), timer, cost, observe_cost

    def observe(self, notes: Sequence[Note]) -> None:
        self.timer.t += self.observe_cost

    def generate(self, request: GenerationRequest) -> Iterator[Note]:
        for note in self.inner.generate(request):
            self.timer.t += self.cost
            yield note
        self.timer.t += self.cost

    def close(self) -> None:
        pass


def honest(cost: float):  # type: ignore[no-untyped-def]
    timer = FakeTimer()
    return rehearse(load(PIECE), human(30.0), Costly(timer, cost), seed=1, latency=Measured(timer=timer))


def test_runner_charges_the_measured_cost_of_each_event() -> None:
    timer, clock = FakeTimer(), VirtualClock()
    runner = InlineRunner(Costly(timer, 0.1), clock, Measured(timer=timer, scale=2.0))
    runner.start(request(0, events=2))
    assert runner.next_arrival() == pytest.approx(0.2)  # one event decoded ahead, at twice its cost
    clock.advance_to(1.0)
    events = runner.poll()
    assert [type(e) for e in events] == [NoteArrived, NoteArrived, GenerationDone]
    times = [e.arrival if isinstance(e, NoteArrived) else e.at for e in events]
    assert times == pytest.approx([0.2, 0.4, 0.6])


def test_observing_keeps_the_model_busy_before_a_generation() -> None:
    timer, clock = FakeTimer(), VirtualClock()
    runner = InlineRunner(Costly(timer, 0.01, observe_cost=0.3), clock, Measured(timer=timer))
    runner.start(request(0, events=1))
    clock.advance_to(1.0)
    runner.poll()
    runner.observe([Note(0.9, 0.1, 60, 80, 0, Source.HUMAN)])  # at 1.0 s: busy until 1.3 s
    runner.start(request(1, events=1))
    assert runner.next_arrival() == pytest.approx(1.0 + 0.3 + 0.01)


def test_a_slow_backend_drops_notes_as_late_and_cannot_play_live() -> None:
    result = honest(cost=0.2)  # 200 ms an event: every first note misses its 50 ms lead
    stats = list(result.engine.stats.values())
    assert sum(s.dropped_late for s in stats) > 0
    assert verdict(stats, measured=True).startswith("this machine cannot play this piece live (")
    latencies = first_note_latencies(result.take)
    assert min(latencies["duet"]) == pytest.approx(0.2)


def test_a_fast_backend_plays_every_note_and_can_play_live() -> None:
    result = honest(cost=0.001)
    stats = list(result.engine.stats.values())
    assert sum(s.dropped_late for s in stats) == 0 and sum(s.notes_out for s in stats) > 0
    assert verdict(stats, measured=True) == "this machine can play this piece live (0 notes would be late)"
    assert max(max(v) for v in first_note_latencies(result.take).values()) == pytest.approx(0.001)


def test_the_table_has_first_note_percentiles_and_late_notes_per_section() -> None:
    result = honest(cost=0.2)
    stats = list(result.engine.stats.values())
    console = Console(file=io.StringIO(), width=200)
    console.print(summary_table(stats, "t", first_note_latencies(result.take), measured=True))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    header = next(line for line in text.splitlines() if "section" in line)
    assert [c.strip() for c in header.strip("┃ ").split("┃")] == list(COLUMNS)
    assert "measured compute on this machine" in text
    duet = next(line for line in text.splitlines() if " duet " in line)
    assert "200 ms" in duet


def test_percentile_interpolates() -> None:
    assert percentile([0.0, 1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile([0.0, 10.0], 95) == pytest.approx(9.5)
    assert percentile([3.0], 95) == 3.0


def test_timing_is_measured_for_a_transformer_and_simulated_otherwise() -> None:
    sky = load(PIECE.replace("{kind: scripted}", "{kind: skytnt, config: tv2o-small}"))
    scripted = load(PIECE)
    assert timing_for(sky, "auto", None) == Measured()
    assert timing_for(scripted, "auto", None) == Latency(0.02, 0.002)
    assert timing_for(sky, "auto", "0.1") == Latency(0.1, 0.002)  # --latency: the old simulated mode
    assert timing_for(scripted, "measured", None) == Measured()
    with pytest.raises(ValueError, match="leave it out with --timing measured"):
        timing_for(sky, "measured", "0.1")
    assert timing_for(sky, "auto", None, slower=2.0) == Measured(scale=2.0)
    with pytest.raises(ValueError, match="--slower scales measured model time"):
        timing_for(scripted, "auto", None, slower=2.0)
    with pytest.raises(ValueError, match="--slower must be a factor above 0"):
        timing_for(sky, "auto", None, slower=0.0)


def test_cli_prints_the_timing_and_the_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    piece = tmp_path / "honest.yaml"
    piece.write_text(PIECE)
    argv = ["rehearse", str(piece), "--human", str(MARK), "--out", str(tmp_path / "t.mid")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "timing: simulated (0.02 s first, 0.002 s per event)" in out
    assert "no verdict on this machine" in out and "first p95" in out
    assert main([*argv, "--timing", "measured", "--slower", "3"]) == 0
    out = capsys.readouterr().out
    assert "timing: measured on this machine, charged 3x" in out
    assert "this machine can" in out  # can or cannot: that is the machine's answer, not the test's
