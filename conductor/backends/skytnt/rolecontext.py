"""The live context of a role-format model: a request's notes as the role score training made.

A model whose ``config.json`` carries the role mark (`roles.read_format`) reads the human's part on
score channel 0 and its own on channel 1, each with the role's patch, on a timebase that starts on
a bar line, with the piece's tempo and meter (`roles.role_score` and `roles.role_rows`, the very
functions training used). The role comes from the section's mode (`GenerationRequest.role`); a
model marked `KEY_COMMON` reads both parts moved by `common_shift` of the human's key (the request's
key: the section's fixed key or the engine's tracked one; without one, the key detected from the
human's notes in the context), so the caller decodes in that frame (`frame_constraints`) and moves
the answer back (`RoleFrame.back`). Pure functions; thread-safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from conductor.backends.base import Constraints, GenerationRequest
from conductor.backends.skytnt.roles import (
    AI_CHANNEL,
    KEY_COMMON,
    MODE_ROLES,
    TICKS_PER_BEAT,
    Meter,
    PartNote,
    Role,
    common_shift,
    role_rows,
    role_score,
)
from conductor.backends.skytnt.score import to_score
from conductor.core.events import Note, Source
from conductor.core.keys import Key, detect_key
from conductor.core.timebase import Timebase

DEFAULT_ROLE = Role.DUET  # a request without a mode (a test, an evaluation): two free parts


@dataclass(frozen=True, slots=True)
class RoleFrame:
    """How one generation reads the role format: the role and the semitones both parts are moved."""

    role: Role = DEFAULT_ROLE
    shift: int = 0

    def back(self, pitch: int) -> int | None:
        """A decoded pitch moved back into the human's key (None: outside MIDI's range)."""
        moved = pitch - self.shift
        return moved if 0 <= moved <= 127 else None


def frame_for(request: GenerationRequest, key_mode: str) -> RoleFrame:
    """The frame of `request` for a model trained with `key_mode` (`KEY_AS_PLAYED` or `KEY_COMMON`)."""
    role = MODE_ROLES.get(request.role or "", DEFAULT_ROLE)
    if key_mode != KEY_COMMON:
        return RoleFrame(role, 0)
    key = request.key or detect_key(n for n in request.context if n.source is Source.HUMAN)
    return RoleFrame(role, key_shift(key))


def key_shift(key: Key | None) -> int:
    """`common_shift` of `key` (0 without a key: the parts are read as played)."""
    return 0 if key is None else common_shift(key.tonic_pc, key.mode == "minor")


def meter_of(tb: Timebase) -> Meter:
    """The role score's tempo and time signature for the piece's timebase."""
    return Meter(round(tb.seconds_per_beat * 1_000_000), tb.beats_per_bar, tb.beat_unit)


def part(notes: Sequence[Note], origin: float, tb: Timebase) -> list[PartNote]:
    """`notes` as a part: ticks from `origin` (a bar line), rounded as `to_score` rounds them."""
    events = to_score(notes, origin, tb, TICKS_PER_BEAT)[1][1:]
    return [PartNote(int(e[1]), int(e[2]), int(e[4]), int(e[5])) for e in events]


def context_rows(
    tokenizer: Any, notes: Sequence[Note], origin: float, tb: Timebase, frame: RoleFrame
) -> list[list[int]]:
    """Token rows (BOS, no EOS) of the context `notes`: the human's part, then the AI's own."""
    human = part([n for n in notes if n.source is not Source.AI], origin, tb)
    ai = part([n for n in notes if n.source is Source.AI], origin, tb)
    rs = role_score(human, ai, frame.role, meter_of(tb), frame.shift)
    return role_rows(tokenizer, rs)


def frame_constraints(constraints: Constraints, frame: RoleFrame) -> Constraints:
    """The request's constraints as the model decodes them: on the AI's score channel, the range
    and the key moved by the frame's shift (the program stays the piece's: it is sent, not decoded)."""
    low = min(127, max(0, constraints.low + frame.shift))
    high = min(127, max(0, constraints.high + frame.shift))
    pcs = constraints.pitch_classes
    moved = None if pcs is None else frozenset((pc + frame.shift) % 12 for pc in pcs)
    tones = constraints.chord_tones
    chord = None if tones is None else frozenset((pc + frame.shift) % 12 for pc in tones)
    return replace(
        constraints,
        channels=frozenset({AI_CHANNEL}),
        low=low,
        high=high,
        pitch_classes=moved,
        chord_tones=chord,
    )
