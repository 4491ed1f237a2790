"""The MIDI clock parser: tempo from 24-ppq ticks, transport, song position, a lost clock."""

from __future__ import annotations

import logging

import mido
import pytest

from conductor.live.clock_in import PPQ, ClockBeat, ClockFollower, ClockIn

TICK_100 = 60.0 / 100 / PPQ  # seconds between ticks at 100 bpm


def ticks(clock: ClockIn, n: int, start: float, interval: float = TICK_100) -> list[ClockBeat]:
    """Send `n` ticks from `start`; the beats they started."""
    beats = (clock.message(mido.Message("clock"), start + i * interval) for i in range(n))
    return [b for b in beats if b is not None]


def test_the_tempo_and_beats_come_from_the_ticks() -> None:
    clock = ClockIn()
    clock.message(mido.Message("start"), 0.0)
    beats = ticks(clock, 3 * PPQ + 1, 0.0)
    assert [b.beat for b in beats] == [0, 1, 2, 3]
    assert [b.t for b in beats] == pytest.approx([0.0, 0.6, 1.2, 1.8])
    assert beats[0].bpm is None  # one tick: no tempo yet
    assert [b.bpm for b in beats[1:]] == pytest.approx([100.0] * 3)


def test_one_late_tick_moves_the_tempo_little() -> None:
    clock = ClockIn()
    times = [i * TICK_100 for i in range(2 * PPQ)]
    times[PPQ + 5] += 0.01  # 10 ms late
    for t in times:
        clock.message(mido.Message("clock"), t)
    assert clock.bpm == pytest.approx(100.0, abs=0.5)


def test_stop_stops_the_beats_and_continue_goes_on_where_it_stopped() -> None:
    clock = ClockIn()
    clock.message(mido.Message("start"), 0.0)
    ticks(clock, PPQ + 1, 0.0)  # beats 0 and 1
    clock.message(mido.Message("stop"), 0.61)
    assert ticks(clock, 2 * PPQ, 0.62) == []  # ticks while stopped: no beats
    assert clock.bpm == pytest.approx(100.0)  # ...but they still measure the tempo
    clock.message(mido.Message("continue"), 2.0)
    beats = ticks(clock, 2 * PPQ - 1, 2.0)
    assert [b.beat for b in beats] == [2]  # position 25 on: beat 2 at tick 48


def test_start_plays_from_the_top_and_song_position_moves_it() -> None:
    clock = ClockIn()
    clock.message(mido.Message("songpos", pos=8), 0.0)  # 8 sixteenths: beat 2
    clock.message(mido.Message("continue"), 0.0)
    assert [b.beat for b in ticks(clock, 1, 0.0)] == [2]
    clock.message(mido.Message("stop"), 0.1)
    clock.message(mido.Message("start"), 1.0)
    assert [b.beat for b in ticks(clock, 1, 1.0)] == [0]


def test_a_clock_without_transport_counts_from_its_first_tick() -> None:
    clock = ClockIn()
    assert [b.beat for b in ticks(clock, PPQ + 1, 5.0)] == [0, 1]


def test_a_lost_clock_is_said_once_and_the_tempo_stays() -> None:
    clock = ClockIn()
    clock.message(mido.Message("start"), 0.0)
    ticks(clock, PPQ + 1, 0.0)  # last tick at 0.6
    assert not clock.lost(0.6 + 1.1)  # under 2 beats (1.2 s at 100 bpm)
    assert clock.lost(0.6 + 1.3)
    assert not clock.lost(0.6 + 5.0)  # once
    assert clock.bpm == pytest.approx(100.0)
    beats = ticks(clock, PPQ + 1, 10.0)  # it comes back: the gap is no tick interval
    assert beats and clock.bpm == pytest.approx(100.0)


def test_a_stopped_clock_is_not_lost() -> None:
    clock = ClockIn()
    clock.message(mido.Message("start"), 0.0)
    ticks(clock, PPQ, 0.0)
    clock.message(mido.Message("stop"), 0.6)
    assert not clock.lost(100.0)


class Recording:
    """The engine's clock entry points, recorded (a fake of one stage's neighbour)."""

    def __init__(self) -> None:
        self.beats: list[tuple[float, float | None]] = []
        self.lost = 0

    def clock_beat(self, t: float, bpm: float | None) -> None:
        self.beats.append((t, bpm))

    def clock_lost(self) -> None:
        self.lost += 1


def test_the_follower_feeds_the_engine_and_logs_tempo_and_loss(caplog: pytest.LogCaptureFixture) -> None:
    engine = Recording()
    follower = ClockFollower(engine)  # type: ignore[arg-type]
    caplog.set_level(logging.INFO, logger="conductor.live.clock_in")
    for i in range(2 * PPQ + 1):
        follower.message(mido.Message("clock"), i * TICK_100)
    follower.message(mido.Message("note_on"), 1.0)  # not a clock message: ignored
    assert [t for t, _ in engine.beats] == pytest.approx([0.0, 0.6, 1.2])
    assert "MIDI clock: 100.0 bpm" in caplog.text
    follower.check(1.3)
    assert engine.lost == 0
    follower.check(3.0)
    follower.check(4.0)
    assert engine.lost == 1
    warning = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warning) == 1 and "MIDI clock lost" in warning[0].getMessage()
    assert "100.0 bpm" in warning[0].getMessage()
