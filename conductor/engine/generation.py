"""Per-generation and per-section bookkeeping of the engine, and the MIDI mappings it reacts to."""

from __future__ import annotations

from dataclasses import dataclass

import mido

from conductor.engine.cadence import Trigger
from conductor.engine.filters import FilterChain
from conductor.engine.filters.keys import KeyEstimate
from conductor.piece.compiled import ActionMapping, ParamMapping
from conductor.piece.compiled import Trigger as MidiTrigger


@dataclass(slots=True)
class Generation:
    """One running generation: its trigger, filter chain, detected key (once) and counts."""

    id: int
    section: str
    trigger: Trigger
    chain: FilterChain
    key: KeyEstimate | None
    arrived: int = 0
    scheduled: int = 0
    dropped_late: int = 0
    dropped_filtered: int = 0
    first_latency: float | None = None


@dataclass(slots=True)
class SectionStats:
    """What happened in one section (all its visits together)."""

    name: str
    notes_in: int = 0
    notes_out: int = 0
    generations: int = 0
    dropped_late: int = 0
    errors: int = 0
    latency_sum: float = 0.0
    latency_count: int = 0

    @property
    def mean_latency(self) -> float | None:
        """Mean first-note latency in model (logical) time, or None without generations."""
        return self.latency_sum / self.latency_count if self.latency_count else None


def trigger_fires(trigger: MidiTrigger, msg: mido.Message, previous_cc: int) -> bool:
    """Does `msg` fire `trigger`? A CC fires when its value crosses up through the threshold."""
    channel = getattr(msg, "channel", None)
    if trigger.channel is not None and channel != trigger.channel:
        return False
    if trigger.kind == "note":
        return msg.type == "note_on" and msg.note == trigger.number and msg.velocity > 0
    if trigger.kind == "cc":
        return (
            msg.type == "control_change"
            and msg.control == trigger.number
            and previous_cc < trigger.threshold <= msg.value
        )
    if trigger.kind == "program":
        return msg.type == "program_change" and msg.program == trigger.number
    return False


def matching_action(
    actions: tuple[ActionMapping, ...], msg: mido.Message, last_cc: dict[tuple[int, int], int]
) -> tuple[ActionMapping | None, bool]:
    """The action `msg` fires, and whether `msg` belongs to any action mapping at all."""
    previous = 0
    if msg.type == "control_change":
        previous = last_cc.get((msg.channel, msg.control), 0)
        last_cc[(msg.channel, msg.control)] = msg.value
    claimed = False
    for mapping in actions:
        claimed = claimed or _claims(mapping.trigger, msg)
        if trigger_fires(mapping.trigger, msg, previous):
            return mapping, True
    return None, claimed


def _claims(trigger: MidiTrigger, msg: mido.Message) -> bool:
    """True for any message of the trigger's kind and number (note-offs of a pedal note, CC going down)."""
    if trigger.channel is not None and getattr(msg, "channel", None) != trigger.channel:
        return False
    if trigger.kind == "note":
        return msg.type in ("note_on", "note_off") and msg.note == trigger.number
    if trigger.kind == "cc":
        return msg.type == "control_change" and msg.control == trigger.number
    return msg.type == "program_change" and msg.program == trigger.number


def param_value(params: tuple[ParamMapping, ...], msg: mido.Message) -> tuple[str, float] | None:
    """The (param, value) a CC sets, scaled from 0..127 onto the mapping's range."""
    if msg.type != "control_change":
        return None
    for mapping in params:
        if mapping.cc == msg.control and mapping.channel in (None, msg.channel):
            return mapping.param, mapping.low + (mapping.high - mapping.low) * msg.value / 127
    return None
