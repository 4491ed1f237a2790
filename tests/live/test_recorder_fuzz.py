"""Random takes, good and bad calls mixed (hypothesis): the recorder never raises, every line it
writes is JSON, every call is either written or counted as failed, and the MIDI file always loads
with every note-on before its note-off and no note left sounding."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

import mido
from hypothesis import given, settings
from hypothesis import strategies as st

from conductor.live.recorder import TakeRecorder
from tests.live.test_recorder import EVENTS, Broken, Unprintable

times = st.one_of(
    st.floats(min_value=-1.0, max_value=600.0),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0]),
)
SEVEN = st.integers(0, 127)
channel_messages = st.one_of(
    st.builds(lambda n, v: mido.Message("note_on", note=n, velocity=v), SEVEN, SEVEN),
    st.builds(lambda n: mido.Message("note_off", note=n), SEVEN),
    st.builds(lambda p: mido.Message("pitchwheel", pitch=p), st.integers(-8192, 8191)),
    st.builds(lambda c, v: mido.Message("control_change", control=c, value=v), SEVEN, SEVEN),
)
bad_payloads = st.sampled_from(["error text", None, 42, b"\x90\x3c"])
events = st.one_of(st.sampled_from(EVENTS), st.just(Broken()), st.builds(lambda: Unprintable()))
calls = st.one_of(
    st.tuples(
        st.sampled_from(["human", "ai", "footswitch"]), st.one_of(channel_messages, bad_payloads), times
    ),
    st.tuples(st.just("record"), events, times),
)


def check_notes(track: mido.MidiTrack) -> None:
    sounding: set[tuple[int, int]] = set()
    for msg in track:
        assert msg.time >= 0
        if msg.type == "note_on" and msg.velocity > 0:
            sounding.add((msg.channel, msg.note))
        elif msg.type in ("note_on", "note_off"):
            sounding.discard((msg.channel, msg.note))
    assert not sounding


@settings(max_examples=60, deadline=None)
@given(st.lists(calls, max_size=40))
def test_any_mix_of_calls_leaves_a_sound_take(mix: list[tuple[str, Any, float]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        rec = TakeRecorder(Path(folder), "fuzz", 120)
        rec.start()
        for method, payload, t in mix:
            getattr(rec, method)(payload, t)
        rec.close()
        log = [json.loads(line) for line in rec.log_path.read_text(encoding="utf-8").splitlines()]
        trouble = 1 if rec.failures else 0
        assert len(log) == 1 + len(mix) - rec.failures + trouble
        assert all(math.isfinite(line["t"]) for line in log)
        midi = mido.MidiFile(rec.midi_path)
        assert [t.name for t in midi.tracks] == ["conductor", "human", "ai"]
        for track in midi.tracks[1:]:
            check_notes(track)
