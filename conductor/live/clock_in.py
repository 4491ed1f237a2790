"""MIDI clock in: 24-ppq ticks, start/stop/continue and song position pointer → beats and a tempo.

`ClockIn` reads the messages of a clock source (a drum machine, a DAW, another sequencer) with the
times they arrived and says when a beat falls (`ClockBeat`: its time, its number since song position
0, the clock's tempo). The tempo is the mean tick interval over the last beat's worth of ticks
(`PPQ` + 1 ticks), so one late tick moves it by a 24th of its error. Transport, as the MIDI spec has
it: Start plays from position 0, Continue from where it stopped (or from a Song Position Pointer,
sixteenths = 6 ticks), Stop stops counting beats (ticks still measure the tempo). A source that
sends clock without ever sending Start (a free-running clock) counts beats from its first tick.
`lost(t)` says, once, when no tick has arrived for `LOST_BEATS` beats while it was playing: the
caller warns and keeps the last tempo.

`ClockIn` is pure: times in, beats out. `ClockFollower` hands its beats to the engine
(`Engine.clock_beat`), logs the tempo when it first comes and whenever it moves by `LOG_BPM`, and the
loss as a warning (`Engine.clock_lost`: the last tempo stays). Neither is thread-safe: the engine
thread owns them (the port's reader thread only stamps and enqueues the messages, as for every input).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mido

if TYPE_CHECKING:
    from conductor.engine.engine import Engine

log = logging.getLogger(__name__)

PPQ = 24  # MIDI clock ticks per quarter note
SIXTEENTH = PPQ // 4  # ticks per Song Position Pointer unit
LOST_BEATS = 2.0  # no tick for this many beats (at the last tempo) while playing: the clock is lost
LOG_BPM = 1.0  # a tempo this far from the one last logged is logged again


@dataclass(frozen=True, slots=True)
class ClockBeat:
    """A beat of the clock at `t`: number `beat` since song position 0, at `bpm` (None: not known yet)."""

    t: float
    beat: int
    bpm: float | None


class ClockIn:
    """Beats and tempo from a MIDI clock source (see the module docstring)."""

    def __init__(self) -> None:
        self.playing = False
        self.position = 0  # ticks since song position 0: the next tick is this one
        self.bpm: float | None = None  # the last tempo measured
        self.last_tick: float | None = None
        self._transport_seen = False  # any start/continue/stop/songpos yet (else free-running)
        self._lost_reported = False
        self._ticks: deque[float] = deque(maxlen=PPQ + 1)

    def message(self, msg: mido.Message, t: float) -> ClockBeat | None:
        """A message from the clock port at `t`; the beat it starts, if it is a tick on a beat."""
        kind = msg.type
        if kind == "clock":
            return self._tick(t)
        if kind in ("start", "continue"):
            self._transport_seen, self.playing = True, True
            self.position = 0 if kind == "start" else self.position
        elif kind == "stop":
            self._transport_seen, self.playing = True, False
        elif kind == "songpos":
            self._transport_seen = True
            self.position = int(msg.pos) * SIXTEENTH
        return None

    def _tick(self, t: float) -> ClockBeat | None:
        if self.last_tick is not None and t - self.last_tick > self._lost_after():
            self._ticks.clear()  # the clock came back: the gap is no tick interval
        self.last_tick, self._lost_reported = t, False
        self._ticks.append(t)
        if len(self._ticks) >= 2:
            interval = (self._ticks[-1] - self._ticks[0]) / (len(self._ticks) - 1)
            if interval > 0:
                self.bpm = 60.0 / (interval * PPQ)
        if not self._transport_seen:
            self.playing = True
        if not self.playing:
            return None
        position, self.position = self.position, self.position + 1
        return ClockBeat(t, position // PPQ, self.bpm) if position % PPQ == 0 else None

    def _lost_after(self) -> float:
        return LOST_BEATS * 60.0 / self.bpm if self.bpm else LOST_BEATS * 0.5  # 0.5: 120 bpm

    def lost(self, t: float) -> bool:
        """True once when, while playing, no tick has arrived for `LOST_BEATS` beats by `t`."""
        if not self.playing or self.last_tick is None or self._lost_reported:
            return False
        if t - self.last_tick <= self._lost_after():
            return False
        self._lost_reported = True
        return True


class ClockFollower:
    """The clock port's messages → `engine`'s tracked grid, with log lines (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.clock = ClockIn()
        self._logged: float | None = None  # the tempo last logged

    def message(self, msg: mido.Message, t: float) -> None:
        """A message from the clock port at `t` (other messages are ignored)."""
        beat = self.clock.message(msg, t)
        if beat is None:
            return
        self.engine.clock_beat(beat.t, beat.bpm)
        if beat.bpm is not None and (self._logged is None or abs(beat.bpm - self._logged) >= LOG_BPM):
            log.info("MIDI clock: %.1f bpm leads the beat (beat %d)", beat.bpm, beat.beat)
            self._logged = beat.bpm

    def check(self, t: float) -> None:
        """Warn once when the clock stopped ticking while playing; the engine keeps its last tempo."""
        if self.clock.lost(t):
            last = f"{self.clock.bpm:.1f} bpm" if self.clock.bpm else "the piece's tempo"
            log.warning(
                "MIDI clock lost: no tick for %g beats; keeping the last tempo (%s) and following the "
                "human's playing again (check the clock source's cable and that it is sending clock)",
                LOST_BEATS,
                last,
            )
            self.engine.clock_lost()
            self._logged = None
