"""SkyTNT's second tokenizer format (v2): v1 plus time and key signatures, velocity before
duration, bpm up to 383, and key signatures guessed from the notes when a score has none."""

from __future__ import annotations

from typing import Any

from conductor.backends.skytnt.tokenizer.collect import Collected
from conductor.backends.skytnt.tokenizer.key_signatures import remap_key_signatures, settle_key_signatures
from conductor.backends.skytnt.tokenizer.layout import Event, TokenFormat
from conductor.backends.skytnt.tokenizer.pipeline import Options, SkyTNTTokenizer
from conductor.backends.skytnt.tokenizer.remap import Remapped, remapped_track_channels

V2_FORMAT = TokenFormat(
    version="v2",
    events={
        "note": ["time1", "time2", "track", "channel", "pitch", "velocity", "duration"],
        "patch_change": ["time1", "time2", "track", "channel", "patch"],
        "control_change": ["time1", "time2", "track", "channel", "controller", "value"],
        "set_tempo": ["time1", "time2", "track", "bpm"],
        "time_signature": ["time1", "time2", "track", "nn", "dd"],
        "key_signature": ["time1", "time2", "track", "sf", "mi"],
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
        "bpm": 384,
        "nn": 16,
        "dd": 4,
        "sf": 15,
        "mi": 2,
    },
    sort_order=("time_signature", "key_signature", "set_tempo", "patch_change", "control_change", "note"),
    bpm_cap=383,
    timed_in_setup=frozenset({"note", "time_signature"}),
    meta_on_track0=frozenset({"set_tempo", "time_signature"}),
    short_key_events=frozenset({"time_signature", "key_signature"}),
)


class MIDITokenizerV2(SkyTNTTokenizer):
    """Token rows of 8 ids; vocabulary of 3,406 ids (pad 0, bos 1, eos 2)."""

    def __init__(self, optimise_midi: bool = False) -> None:
        super().__init__(V2_FORMAT, optimise_midi)

    def finish_events(self, events: list[Event], col: Collected, mapped: Remapped, opts: Options) -> None:
        """Remap key signatures to the new tracks, then detect or default them."""
        if opts.remap_track_channel:
            key_sigs = remap_key_signatures(events, col, mapped)
            track_channels = remapped_track_channels(col, mapped.channel_map)
        else:
            key_sigs, track_channels = col.key_sigs, col.track_channels
        settle_key_signatures(events, key_sigs, col, track_channels, opts.remap_track_channel)

    def score_event(self, event: Event, ticks: int) -> list[Any] | None:
        """MIDI.py score events: notes `[note, t, dur, ch, pitch, vel]`, signatures as in files."""
        name, params = event[0], event[4:]
        if name == "note":
            c, p, v, d = params
            return [name, ticks, self.ticks_of(d), c, p, v]
        if name == "set_tempo":
            return [name, ticks, self.tempo_of(params[0])]
        if name == "time_signature":
            return [name, ticks, params[0] + 1, params[1] + 1, 24, 8]
        if name == "key_signature":
            return [name, ticks, params[0] - 7, params[1]]
        return [name, ticks, *params]
