"""Constrained decoding as data: which values each parameter of a decoded event may take.

An `EventMask` holds a boolean mask per parameter (channels, pitch range and pitch classes, velocity
above 0, duration above 0) and an onset window in 16ths of a beat from the score's origin. The time
masks depend on the event so far (the beat reached), so `allowed` computes them per token step.
An empty mask means no event can satisfy the constraints: decoding stops there.

With `played` (`conductor.backends.shaping`), the mask also follows what the generation has played:
onset groups, a line, the note budget (time values) and no re-strike of a sounding pitch, the group's
voicing (pitch values); `allowed_for` applies them given the event's values so far, and `after`
returns the mask for the next event. A pitch rule that would leave no value is relaxed (the voicing
first, then the sounding pitches) rather than ending the generation mid-group.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import torch

from conductor.backends.base import Constraints
from conductor.backends.shaping import Played

TIME_STEPS = 16  # time2 values per beat


@dataclass(frozen=True)
class EventMask:
    """Allowed event types and parameter values for decoding."""

    events: tuple[str, ...] = ("note",)
    static: dict[str, torch.Tensor] = field(default_factory=dict)  # param → bool mask over its values
    window: tuple[int, int] | None = None  # allowed onsets, 16ths from the origin, inclusive
    allow_eos: bool = False
    open_end: bool = False  # onsets past the window end the generation instead of being clamped
    played: Played | None = None  # decode-time roles, in 16ths from the origin (None: none)

    def allowed(
        self, param: str, time1: int, last_beat: int, size: int, last_step: int = 0
    ) -> torch.Tensor | None:
        """The mask for `param` (None: anything), given the event's time1 so far, the last beat and
        the last event's 16th within that beat (`last_step`: onsets never go back in time).

        With `open_end`, only the window's start bounds the time values: an onset past its end is
        sampled as the model wants it and ends the generation (`ends`) instead of being pushed back
        onto the window's last 16th, where every later note would pile up.
        """
        if self.window is None or param not in ("time1", "time2"):
            return self.static.get(param)
        lo, hi = self.window
        if param == "time1":
            first = max(0, lo // TIME_STEPS - last_beat)
            last = size - 1 if self.open_end else min(size - 1, hi // TIME_STEPS - last_beat)
        else:
            beat = last_beat + time1
            first = lo - beat * TIME_STEPS if beat == lo // TIME_STEPS else 0
            first = max(first, last_step if time1 == 0 else 0)
            last = (
                hi - beat * TIME_STEPS if beat == hi // TIME_STEPS and not self.open_end else TIME_STEPS - 1
            )
            if beat < lo // TIME_STEPS or (beat > hi // TIME_STEPS and not self.open_end):
                first, last = 1, 0
        values = torch.arange(size, device=self._device())
        return (values >= first) & (values <= last)

    def allowed_for(
        self, param: str, values: dict[str, int], at: tuple[int, int], size: int
    ) -> torch.Tensor | None:
        """The mask for `param` of an event whose earlier parameters took `values`, the last event
        lying at `at` (its beat, its 16th): `allowed`, narrowed by the roles of `played`."""
        base = self.allowed(param, values.get("time1", 0), at[0], size, at[1])
        if self.played is None or param not in ("time1", "time2", "pitch"):
            return base
        if param == "pitch":
            onset = (at[0] + values.get("time1", 0)) * TIME_STEPS + values.get("time2", 0)
            return self._pitch_mask(base, onset, size)
        if param == "time1":
            role = self._onset_grid(at, at[0] + torch.arange(size, device=self._device())).any(dim=1)
        else:
            beat = torch.tensor([at[0] + values.get("time1", 0)], device=self._device())
            role = self._onset_grid(at, beat)[0][:size]
        return role if base is None else base & role

    def _onset_grid(self, at: tuple[int, int], beats: torch.Tensor) -> torch.Tensor:
        """[beat, 16th] → may an onset lie there (after the last event, in the window, roles)?"""
        assert self.played is not None
        onset = beats[:, None] * TIME_STEPS + torch.arange(TIME_STEPS, device=self._device())[None, :]
        ok = onset >= at[0] * TIME_STEPS + at[1]
        if self.window is not None:
            ok &= onset >= self.window[0]
            if not self.open_end:
                ok &= onset <= self.window[1]
        rule = self.played.onsets()
        role = torch.zeros_like(ok)
        if rule.join is not None:
            role |= onset == round(rule.join)
        if rule.earliest is not None:
            new = torch.ones_like(ok)
            if math.isfinite(rule.earliest):
                new &= onset >= math.ceil(rule.earliest - 1e-6)
            if rule.after is not None:
                new &= onset > rule.after
            role |= new
        return ok & role

    def _pitch_mask(self, base: torch.Tensor | None, onset: int, size: int) -> torch.Tensor | None:
        assert self.played is not None
        group = self.played.group_tick
        rule = self.played.pitches(onset, group is not None and round(group) == onset)
        allowed = list(range(size)) if base is None else base.nonzero().flatten().tolist()
        loose = replace(rule, still=0)
        for pitches in (rule.room(allowed), loose.room(allowed), replace(loose, lowest=0).room(allowed)):
            if pitches:  # relax the room, the order, then give up the rules rather than stop mid-group
                return value_mask(size, pitches, self._device())
        return base

    def opened(self) -> EventMask:
        """This mask with an open end (see `allowed`): used after a generation's first event."""
        return replace(self, open_end=True)

    def after(self, onset: int, pitch: int, duration: int) -> EventMask:
        """The mask for the event after a note at `onset` (16ths from the origin) of `pitch` lasting
        `duration` 16ths: opened, and `played` advanced."""
        played = None if self.played is None else self.played.after(onset, pitch, duration)
        return replace(self, open_end=True, played=played)

    def ends(self, onset: int) -> bool:
        """True if a decoded onset (16ths from the origin) lies past the window: the generation ends."""
        return self.window is not None and onset > self.window[1]

    def _device(self) -> torch.device:
        for mask in self.static.values():
            return mask.device
        return torch.device("cpu")


def value_mask(size: int, allowed: Iterable[int], device: torch.device | str = "cpu") -> torch.Tensor:
    """A bool mask of `size` with True at every allowed value in range."""
    mask = torch.zeros(size, dtype=torch.bool, device=device)
    values = [v for v in allowed if 0 <= v < size]
    if values:
        mask[torch.tensor(values, device=device)] = True
    return mask


def pitch_values(constraints: Constraints) -> list[int]:
    """Pitches the constraints allow (the chord tones where set, else the key); if range and
    classes leave none, the range and the key, then the range alone."""
    in_range = list(range(max(0, constraints.low), min(127, constraints.high) + 1))
    for pcs in (constraints.classes(), constraints.pitch_classes):
        keyed = [p for p in in_range if pcs is None or p % 12 in pcs]
        if keyed:
            return keyed
    return in_range or list(range(128))


def channel_track(tokenizer: Any, rows: Sequence[Sequence[int]], channel: int) -> int | None:
    """The track of the last note on `channel` in `rows` (None: no note on it)."""
    note_id = tokenizer.event_ids["note"]
    params = tokenizer.events["note"]
    at_track, at_channel = 1 + params.index("track"), 1 + params.index("channel")
    track_base, channel_base = tokenizer.parameter_ids["track"][0], tokenizer.parameter_ids["channel"][0]
    for row in reversed(rows):
        if row[0] == note_id and row[at_channel] - channel_base == channel:
            return int(row[at_track] - track_base)
    return None


def from_constraints(
    tokenizer: Any,
    constraints: Constraints,
    window: tuple[int, int] | None = None,
    device: torch.device | str = "cpu",
    context: Sequence[Sequence[int]] = (),
    played: Played | None = None,
) -> EventMask:
    """Note-only decoding within `constraints` and the onset `window` (16ths from the origin).

    With a single allowed channel that already has notes in `context`, the track is fixed to that
    channel's track (as in the training data a channel's notes share a track), so neither the channel
    nor the track costs a token-net pass. `played`: the decode-time roles (see `EventMask`).
    """
    sizes: dict[str, int] = tokenizer.event_parameters
    channels = [c for c in constraints.channels if 0 <= c < sizes["channel"]] or list(range(sizes["channel"]))
    static = {
        "channel": value_mask(sizes["channel"], channels, device),
        "pitch": value_mask(sizes["pitch"], pitch_values(constraints), device),
        "velocity": value_mask(sizes["velocity"], range(1, sizes["velocity"]), device),
        "duration": value_mask(sizes["duration"], range(1, sizes["duration"]), device),
    }
    track = channel_track(tokenizer, context, channels[0]) if len(channels) == 1 else None
    if track is not None:
        static["track"] = value_mask(sizes["track"], [track], device)
    return EventMask(("note",), static, window, played=played)
