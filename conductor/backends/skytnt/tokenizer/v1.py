"""SkyTNT's first tokenizer format (v1): notes, patches, controllers and tempo."""

from __future__ import annotations

from typing import Any

from conductor.backends.skytnt.tokenizer.layout import Event, TokenFormat
from conductor.backends.skytnt.tokenizer.pipeline import SkyTNTTokenizer

V1_FORMAT = TokenFormat(
    version="v1",
    events={
        "note": ["time1", "time2", "track", "duration", "channel", "pitch", "velocity"],
        "patch_change": ["time1", "time2", "track", "channel", "patch"],
        "control_change": ["time1", "time2", "track", "channel", "controller", "value"],
        "set_tempo": ["time1", "time2", "track", "bpm"],
    },
    parameters={
        "time1": 128,
        "time2": 16,
        "duration": 2048,
        "track": 128,
        "channel": 16,
        "pitch": 128,
        "velocity": 128,
        "patch": 128,
        "controller": 128,
        "value": 128,
        "bpm": 256,
    },
    sort_order=("set_tempo", "patch_change", "control_change", "note"),
    bpm_cap=255,
    timed_in_setup=frozenset({"note"}),
    meta_on_track0=frozenset({"set_tempo"}),
)


class MIDITokenizerV1(SkyTNTTokenizer):
    """Token rows of 8 ids; vocabulary of 3,239 ids (pad 0, bos 1, eos 2)."""

    def __init__(self, optimise_midi: bool = False) -> None:
        super().__init__(V1_FORMAT, optimise_midi)

    def score_event(self, event: Event, ticks: int) -> list[Any] | None:
        """`[name, ticks, *params]` with a duration in ticks and a tempo in µs per beat."""
        name, params = event[0], list(event[4:])
        if name == "note":
            params[0] = self.ticks_of(params[0])
        elif name == "set_tempo":
            params[0] = self.tempo_of(params[0])
        return [name, ticks, *params]
