"""The MIDI mappings the engine reacts to: footswitch/pad actions and live-parameter CCs.

`Controls` keeps what the piece's action mappings need to remember between messages (engine thread
only): the last value of each CC (a CC fires when it crosses its threshold upwards), when each mapping
last fired (a firing within the mapping's `debounce` of the previous one, ignored or not, is a
bounce: a pedal must be quiet that long before it fires again, so a chattering pedal fires once),
and a pending confirm-to-stop (a `next` that would end the piece needs a second press within the
mapping's `confirm_stop`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mido

from conductor.engine.sink import TakeSink
from conductor.engine.take_events import PressIgnored
from conductor.piece.compiled import ActionMapping, MidiTrigger, OscTrigger, ParamMapping
from conductor.piece.names import Action, Param, TriggerKind

if TYPE_CHECKING:
    from conductor.engine.navigator import Navigator

log = logging.getLogger(__name__)


def trigger_fires(trigger: MidiTrigger | OscTrigger, msg: mido.Message, previous_cc: int) -> bool:
    """Does `msg` fire `trigger`? A CC fires when its value crosses up through the threshold; an OSC
    trigger never fires on MIDI (the stage's OSC receiver presses it: `Controls.pressed`)."""
    if not isinstance(trigger, MidiTrigger):
        return False
    channel = getattr(msg, "channel", None)
    if trigger.channel is not None and channel != trigger.channel:
        return False
    if trigger.kind is TriggerKind.NOTE:
        return msg.type == "note_on" and msg.note == trigger.number and msg.velocity > 0
    if trigger.kind is TriggerKind.CC:
        return (
            msg.type == "control_change"
            and msg.control == trigger.number
            and previous_cc < trigger.threshold <= msg.value
        )
    if trigger.kind is TriggerKind.PROGRAM:
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


def _claims(trigger: MidiTrigger | OscTrigger, msg: mido.Message) -> bool:
    """True for any message of the trigger's kind and number (note-offs of a pedal note, CC going down)."""
    if not isinstance(trigger, MidiTrigger):
        return False
    if trigger.channel is not None and getattr(msg, "channel", None) != trigger.channel:
        return False
    if trigger.kind is TriggerKind.NOTE:
        return msg.type in ("note_on", "note_off") and msg.note == trigger.number
    if trigger.kind is TriggerKind.CC:
        return msg.type == "control_change" and msg.control == trigger.number
    return msg.type == "program_change" and msg.program == trigger.number


def param_value(params: tuple[ParamMapping, ...], msg: mido.Message) -> tuple[Param, float] | None:
    """The (param, value) a CC sets, scaled from 0..127 onto the mapping's range."""
    if msg.type != "control_change":
        return None
    for mapping in params:
        if mapping.cc == msg.control and mapping.channel in (None, msg.channel):
            return mapping.param, mapping.low + (mapping.high - mapping.low) * msg.value / 127
    return None


@dataclass(frozen=True, slots=True)
class Fired:
    """What one message did to the action mappings: the mapping it fired (if any), whether it belongs
    to a mapping at all (then it is not the human's playing), and, for a bounce, how long after the
    previous firing it came."""

    mapping: ActionMapping | None
    claimed: bool
    bounce: float | None = None
    burst: int = 0  # bounces in a row so far (1 for the first of a burst)


@dataclass(slots=True)
class Controls:
    """Per-performance state of the piece's action mappings (see the module docstring). Not thread-safe."""

    last_cc: dict[tuple[int, int], int] = field(default_factory=dict)
    last_fired: dict[MidiTrigger | OscTrigger, float] = field(default_factory=dict)  # survives a reload
    bursts: dict[MidiTrigger | OscTrigger, int] = field(default_factory=dict)  # bounces in a row per trigger
    confirm_until: float | None = None  # a stop waits for its confirming press until then
    bounces: int = 0

    def fire(self, actions: tuple[ActionMapping, ...], msg: mido.Message, t: float) -> Fired:
        """Match `msg` at `t` against `actions`, debounced."""
        mapping, claimed = matching_action(actions, msg, self.last_cc)
        if mapping is None:
            return Fired(None, claimed)
        return self.pressed(mapping, t)

    def pressed(self, mapping: ActionMapping, t: float) -> Fired:
        """`mapping` fired at `t` (by MIDI, or by the stage page or OSC), debounced by its trigger."""
        key = mapping.trigger
        last, self.last_fired[key] = self.last_fired.get(key), t
        if last is not None and 0.0 <= t - last < mapping.debounce:
            self.bounces += 1
            self.bursts[key] = self.bursts.get(key, 0) + 1
            return Fired(mapping, True, t - last, self.bursts[key])
        self.bursts[key] = 0
        return Fired(mapping, True)

    def admit(self, fired: Fired, nav: Navigator, recorder: TakeSink, t: float) -> ActionMapping | None:
        """The mapping to press for `fired` at `t`, or None: a bounce (the first of a burst logged and
        recorded), or a stop awaiting its confirming press (logged and recorded)."""
        mapping = fired.mapping
        if mapping is None:
            return None
        action = mapping.action.value
        if fired.bounce is not None:
            if fired.burst == 1:
                log.info("%s ignored: fired again %.0f ms after the last (debounce %.0f ms)",
                         action, fired.bounce * 1000, mapping.debounce * 1000)  # fmt: skip
                recorder.record(PressIgnored(action, "debounce", fired.bounce * 1000), t)
            return None
        if ends_the_piece(mapping, nav) and not self.confirm_stop(mapping, t):
            log.warning(
                "next would end the piece: press next again within %.1f s to end it", mapping.confirm_stop
            )
            recorder.record(PressIgnored(action, "confirm_stop"), t)
            return None
        return mapping

    def confirm_stop(self, mapping: ActionMapping, t: float) -> bool:
        """For a press that would end the piece at `t`: True if it may (no confirmation asked, or this
        is the confirming press); otherwise it arms the confirmation and returns False."""
        if mapping.confirm_stop <= 0.0:
            return True
        if self.confirm_until is not None and t <= self.confirm_until:
            self.confirm_until = None
            return True
        self.confirm_until = t + mapping.confirm_stop
        return False

    def confirm_left(self, t: float) -> float | None:
        """Seconds left to confirm a stop at `t`, or None if no stop waits for confirmation."""
        if self.confirm_until is None or t > self.confirm_until:
            return None
        return self.confirm_until - t


def next_would_end(nav: Navigator) -> bool:
    """Would a `next` pressed now end the piece (`nav`: the engine's `Navigator`)? True past the
    last section, counting a change already pressed but not yet landed."""
    base = nav.pending.index if nav.pending is not None else nav.index
    return base is not None and base + 1 >= len(nav.piece.sections)


def ends_the_piece(mapping: ActionMapping, nav: Navigator) -> bool:
    """True if firing `mapping` now would end the piece."""
    return mapping.action is Action.NEXT and next_would_end(nav)
