"""Commands from the page, checked against the view the page was showing before they reach the sink.

A command is JSON: `{"type": "press", "action": "next"}`, `{"type": "press", "action": "goto",
"target": "solo"}` or `{"type": "param", "name": "temperature", "value": 1.1}`. `parse_command`
turns one into a `Press` or a `SetParam`, or raises `CommandError` saying what was wrong; `deliver`
hands it to the `StageCommands` sink. Pure apart from `deliver`; safe from any thread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from conductor.stage.view import ACTIONS, StageCommands, StageView

MAX_TEXT = 200  # longest section name a command may carry


class CommandError(ValueError):
    """A command the stage cannot obey (raised by `parse_command`); the message says why."""


@dataclass(frozen=True, slots=True)
class Press:
    """A press of a control: `action` one of ACTIONS, `target` the section of a goto."""

    action: str
    target: str | None = None


@dataclass(frozen=True, slots=True)
class SetParam:
    """A live parameter moved to `value`."""

    name: str
    value: float


def parse_command(data: Any, view: StageView) -> Press | SetParam:
    """The command `data` (decoded JSON) asks for, checked against `view`."""
    if not isinstance(data, dict):
        raise CommandError(f"a command is a JSON object, got {type(data).__name__}")
    kind = data.get("type")
    if kind == "press":
        return _press(data, view)
    if kind == "param":
        return _param(data, view)
    raise CommandError(f"command type must be 'press' or 'param', got {kind!r}")


def _press(data: dict[str, Any], view: StageView) -> Press:
    action = data.get("action")
    if action not in ACTIONS:
        raise CommandError(f"action must be one of {', '.join(ACTIONS)}, got {action!r}")
    if action != "goto":
        return Press(action)
    target = data.get("target")
    if not isinstance(target, str) or not 0 < len(target) <= MAX_TEXT:
        raise CommandError(f"goto needs a section name as its target, got {target!r}")
    names = [row.name for row in view.running_order]
    if names and target not in names:
        raise CommandError(f"no section {target!r} in the running order ({', '.join(names)})")
    return Press("goto", target)


def _param(data: dict[str, Any], view: StageView) -> SetParam:
    name, value = data.get("name"), data.get("value")
    row = view.param(name) if isinstance(name, str) else None
    if row is None or not isinstance(name, str):
        known = ", ".join(p.name for p in view.params) or "none"
        raise CommandError(f"no live parameter {name!r} (this piece has: {known})")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CommandError(f"{name} needs a number, got {value!r}")
    low, high = min(row.low, row.high), max(row.low, row.high)
    if not low - 1e-9 <= value <= high + 1e-9:
        raise CommandError(f"{name} must be within {row.low:g}..{row.high:g}, got {value:g}")
    return SetParam(name, float(value))


def deliver(command: Press | SetParam, sink: StageCommands) -> None:
    """Hand `command` to `sink`."""
    if isinstance(command, Press):
        sink.press(command.action, command.target)
    else:
        sink.set_param(command.name, command.value)
