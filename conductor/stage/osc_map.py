"""OSC mappings: which address presses which action or moves which parameter, and what its arguments
must be. Pure: no I/O, safe from any thread.

- `OscAction(address, action, target)`: a message with no argument, or one number that is not 0
  (a button's press; its release sends 0 and is ignored), fires `action`. A `goto` without a target
  takes the section's name from the message's one string argument (`/conductor/goto "solo"`).
- `OscParam(address, param, low, high)`: one number 0..1 (a fader's position, as TouchOSC and Open
  Stage Control send it) sets `param` to low + (high − low) × value; a number outside 0..1 is clamped
  and said so.

Addresses are matched exactly (no OSC wildcards) and must start with '/'.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pythonosc.osc_packet import OscPacket

from conductor.piece.osc import check_address
from conductor.stage.view import ACTIONS


@dataclass(frozen=True, slots=True)
class OscAction:
    """An address that fires an action (`target`: the section of a goto; None: from the message)."""

    address: str
    action: str
    target: str | None = None

    def __post_init__(self) -> None:
        check_address(self.address)
        if self.action not in ACTIONS:
            raise ValueError(
                f"{self.address}: action must be one of {', '.join(ACTIONS)}, got {self.action!r}"
            )


@dataclass(frozen=True, slots=True)
class OscParam:
    """An address that sets a live parameter, 0..1 scaled onto low..high."""

    address: str
    param: str
    low: float
    high: float

    def __post_init__(self) -> None:
        check_address(self.address)
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"{self.address}: the range of {self.param} must be two numbers")


class OscArgumentError(ValueError):
    """A mapped message's arguments are not what its mapping takes (raised by `OscMap.interpret`)."""


@dataclass(frozen=True, slots=True)
class Fire:
    """What a message asks for: a press (`action`, `target`) or a parameter (`param`, `value`);
    `clamped` when a parameter's value was outside 0..1."""

    action: str | None = None
    target: str | None = None
    param: str | None = None
    value: float = 0.0
    clamped: bool = False


@dataclass(frozen=True)
class OscMap:
    """The mapping table: addresses to actions and parameters (each address once)."""

    actions: tuple[OscAction, ...] = ()
    params: tuple[OscParam, ...] = ()
    _by_address: dict[str, OscAction | OscParam] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        table: dict[str, OscAction | OscParam] = {}
        mappings: tuple[OscAction | OscParam, ...] = (*self.actions, *self.params)
        for mapping in mappings:
            if mapping.address in table:
                raise ValueError(f"OSC address {mapping.address} is mapped twice")
            table[mapping.address] = mapping
        object.__setattr__(self, "_by_address", table)

    def get(self, address: str) -> OscAction | OscParam | None:
        """The mapping of `address`, if any."""
        return self._by_address.get(address)

    def interpret(self, mapping: OscAction | OscParam, args: tuple[Any, ...]) -> Fire | None:
        """What `args` sent to `mapping` ask for; None for a button's release (0). Raises
        OscArgumentError naming what the mapping takes."""
        if isinstance(mapping, OscParam):
            return _param(mapping, args)
        return _action(mapping, args)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _action(mapping: OscAction, args: tuple[Any, ...]) -> Fire | None:
    if mapping.action == "goto" and mapping.target is None:
        if len(args) == 1 and isinstance(args[0], str) and args[0]:
            return Fire(action="goto", target=args[0])
        raise OscArgumentError('takes one string, the section\'s name (e.g. /conductor/goto "solo")')
    if not args:
        return Fire(action=mapping.action, target=mapping.target)
    if len(args) == 1 and (_number(args[0]) or isinstance(args[0], bool)):
        return Fire(action=mapping.action, target=mapping.target) if args[0] else None
    raise OscArgumentError("takes no argument or one number (a button: 1 pressed, 0 released)")


def _param(mapping: OscParam, args: tuple[Any, ...]) -> Fire:
    if len(args) != 1 or not _number(args[0]):
        raise OscArgumentError("takes one number 0..1 (a fader's position)")
    position = float(args[0])
    clamped = min(1.0, max(0.0, position))
    value = mapping.low + (mapping.high - mapping.low) * clamped
    return Fire(param=mapping.param, value=value, clamped=clamped != position)


def describe(args: tuple[Any, ...]) -> str:
    """The arguments as a message shows them: `('loud': string, 3: int)`; at most 5, each cut short."""
    shown = [f"{str(a)[:40]!r}: {_type_name(a)}" for a in args[:5]]
    more = f", … {len(args) - 5} more" if len(args) > 5 else ""
    return f"({', '.join(shown)}{more})" if args else "no arguments"


def _type_name(value: Any) -> str:
    names = {bool: "bool", int: "int", float: "float", str: "string", bytes: "blob"}
    return names.get(type(value), type(value).__name__)


MAX_MESSAGES = 64  # of one bundle; the rest of a bigger one is ignored


def parse_datagram(data: bytes) -> list[tuple[str, tuple[Any, ...]]]:
    """The (address, arguments) of each message in one UDP datagram (a message or a bundle, whose time
    tags are ignored: everything acts on arrival). Raises ValueError with python-osc's reason."""
    try:
        packet = OscPacket(data)
        return [(m.message.address, tuple(m.message.params)) for m in packet.messages[:MAX_MESSAGES]]
    except Exception as exc:  # whatever the bytes: a datagram is never worth more than this message
        raise ValueError(f"not an OSC message or bundle ({type(exc).__name__}: {exc})"[:300]) from exc
