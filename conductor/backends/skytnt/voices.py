"""Score channels for the transformer: the human's parts and the AI's voices, numbered as v2o would.

A SkyTNT model trained on part music (the bundled one: Bach chorales, one channel per voice) writes
one note per channel at each onset and moves on. Held to one channel it stacks note after note on
the same onset, as if every voice were still to come, and time hardly advances. So the AI plays
with up to `VOICES` channels of its own — its chords and lines in several parts — and the backend
maps them back onto the request's channel.

The v2o tokenizer renumbers channels in order of first use (9, drums, excepted). The score is
numbered that way here already, so the renumbering is the identity and the channels the mask allows
are the channels the model sees: the context's parts first (the AI's earlier notes as one part),
then the AI's new voices after them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from conductor.backends.skytnt.score import to_score
from conductor.core.events import Note, Source
from conductor.core.timebase import Timebase

VOICES = 4  # the AI's parts: four, as in a chorale
DRUMS = 9
_AI_MARK = 16  # the AI's notes before numbering (outside MIDI's 0..15)


@dataclass(frozen=True)
class VoicedScore:
    """A score numbered in order of first use, and the score channels the AI may decode on."""

    score: list[Any]
    ai_channels: tuple[int, ...]


def voiced_score(notes: Sequence[Note], origin: float, tb: Timebase, tpb: int, size: int = 16) -> VoicedScore:
    """`to_score` of `notes`, channels renumbered in order of first use; the AI's earlier notes are
    one part, and the AI may use that part plus new ones up to `VOICES` (within `size` channels)."""
    score = to_score([n for n in notes if n.source is not Source.AI], origin, tb, tpb)
    ai_events = to_score([n for n in notes if n.source is Source.AI], origin, tb, tpb)[1][1:]
    for event in ai_events:
        event[3] = _AI_MARK
    score[1][1:] = sorted([*score[1][1:], *ai_events], key=lambda e: (e[1], e[3], e[4]))
    numbering: dict[int, int] = {DRUMS: DRUMS}
    for event in score[1]:
        if event[0] == "note" and event[3] not in numbering:
            numbering[event[3]] = _next_channel(numbering)
        if event[0] == "note":
            event[3] = numbering[event[3]]
    ai = [numbering[_AI_MARK]] if _AI_MARK in numbering else []
    while len(ai) < VOICES:
        channel = _next_channel(numbering)
        if channel >= size:
            break
        numbering[-len(ai) - 1] = channel  # reserve it
        ai.append(channel)
    return VoicedScore(score, tuple(ai))


def _next_channel(numbering: dict[int, int]) -> int:
    used = set(numbering.values())
    channel = 0
    while channel in used:
        channel += 1
    return channel
