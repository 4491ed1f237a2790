"""A one-hour rehearsal on generated human input completes with bounded engine memory."""

from __future__ import annotations

import mido

from conductor.backends.scripted import ScriptedModel
from conductor.engine.engine import Engine
from conductor.engine.timing import Latency
from conductor.rehearse import HumanInput, rehearse
from tests.rehearse.helpers import balanced, load

HOUR = 3600.0
PIECE = load(
    """
title: an hour
tempo: 120
meter: 4/4
model: {kind: scripted, config: echo}
sections:
  - {name: duet, mode: duet, length: 8 bars}
  - {name: fours, mode: trading, length: 16 bars, turns: {bars: 4, starts: human}}
  - {name: comp, mode: ai_chords, length: 8 bars, model: {kind: scripted, config: chords}}
  - {name: solo, mode: ai_solo, length: 8 bars, then: {goto: duet}}
"""
)


def generated_human(seconds: float) -> HumanInput:
    """A note on every beat (a scale walk), a bar of rest after every three."""
    messages: list[tuple[float, mido.Message]] = []
    beat, k = 0.5, 0
    while k * beat < seconds:
        if (k // 4) % 4 != 3:
            pitch = 60 + (0, 2, 4, 5, 7, 9, 11, 12)[k % 8]
            messages.append((k * beat, mido.Message("note_on", note=pitch, velocity=70 + k % 30)))
            messages.append((k * beat + 0.4, mido.Message("note_off", note=pitch)))
        k += 1
    return HumanInput(tuple(messages))


def test_an_hour_completes_with_bounded_memory() -> None:
    peaks = {"memory": 0, "heap": 0, "running": 0}

    def watch(engine: Engine, t: float) -> None:
        peaks["memory"] = max(peaks["memory"], len(engine.memory))
        peaks["heap"] = max(peaks["heap"], engine.scheduler.size())
        peaks["running"] = max(peaks["running"], len(engine.turns.running))

    model = ScriptedModel("echo")
    result = rehearse(
        PIECE, generated_human(HOUR), lambda spec: model, latency=Latency(0.02, 0.002), on_step=watch
    )
    assert result.end >= HOUR - 1
    assert result.engine.stats["duet"].generations > 100
    assert peaks["memory"] <= 8192  # Memory's own cap; 15 minutes of this input is ~2000 human notes
    assert peaks["heap"] <= 200
    assert peaks["running"] <= 1
    assert balanced(result.take.ai_messages)
