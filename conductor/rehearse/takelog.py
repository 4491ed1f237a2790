"""Read the MIDI messages of a live take's `.jsonl` log, strictly but for a torn last line.

Each line is one JSON object; the lines of the kinds asked for (`human`, `footswitch`) must carry `t`
(seconds since the take began: a finite number >= 0) and `bytes` (one MIDI message). Any other
line is skipped unread, so new kinds of lines never break a replay. A line that is not JSON is an
error naming its line number, except the last: a crash (or a pulled plug) mid-write leaves the last
line torn, and that take is read with a warning. Every error is one `InputFileError` line naming the
file and the line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mido

from conductor.core.inputfile import InputFileError, read_input_bytes

MAX_TAKE_BYTES = 64 * 1024 * 1024
EXPECTED = "a take log (.jsonl): one JSON object per line"
TORN = object()  # what `_parse` gives for a torn last line


@dataclass(frozen=True, slots=True)
class LogRead:
    """Timed messages (seconds, in time order) and what was skipped on the way (one line each)."""

    messages: tuple[tuple[float, mido.Message], ...]
    warnings: tuple[str, ...] = ()


def read_take_messages(path: Path, kinds: Iterable[str] = ("human", "footswitch")) -> LogRead:
    """The messages of the lines of `kinds` in the take log at `path`, sorted by time."""
    wanted = frozenset(kinds)
    lines = read_input_bytes(path, MAX_TAKE_BYTES, EXPECTED).split(b"\n")
    last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    messages: list[tuple[float, mido.Message]] = []
    warnings: list[str] = []
    for index, raw in enumerate(lines[: last + 1]):
        if not raw.strip():
            continue
        event = _parse(raw, path, index + 1, torn_ok=index == last)
        if event is TORN:
            warnings.append(
                f"{path}: line {index + 1} (the last) is torn, as a crash mid-write leaves it: skipped"
            )
        elif not isinstance(event, dict):
            raise InputFileError(
                f"{path}: line {index + 1} holds a JSON {_json_type(event)}: expected {EXPECTED}"
            )
        elif isinstance(event.get("kind"), str) and event["kind"] in wanted:
            messages.append(_message(event, f"{path}: line {index + 1}"))
    messages.sort(key=lambda item: item[0])
    return LogRead(tuple(messages), tuple(warnings))


def _parse(raw: bytes, path: Path, number: int, torn_ok: bool) -> Any:
    """The JSON value of one line; `TORN` for a torn last line."""
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        if torn_ok:
            return TORN
        raise InputFileError(
            f"{path}: line {number} is not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from exc
    except json.JSONDecodeError as exc:
        if torn_ok:
            return TORN
        raise InputFileError(
            f"{path}: line {number} is not JSON ({exc.msg}, column {exc.colno}): expected {EXPECTED}; "
            "only the last line may be torn by a crash"
        ) from exc
    except (ValueError, RecursionError) as exc:  # a 5000-digit number, or nesting too deep to parse
        reason = str(exc).split(";")[0] if isinstance(exc, ValueError) else "nested too deep"
        raise InputFileError(f"{path}: line {number} cannot be read as JSON ({reason})") from exc


def _message(event: dict[str, Any], where: str) -> tuple[float, mido.Message]:
    """(t, message) of a `human` or `footswitch` line."""
    t = _seconds(event.get("t"))
    if t is None:
        got = "no 't'" if "t" not in event else f"'t' {json.dumps(event['t'])[:40]}"
        raise InputFileError(f"{where} has {got}: expected the seconds since the take began (a number >= 0)")
    data = event.get("bytes")
    if not isinstance(data, list) or not all(isinstance(b, int) and not isinstance(b, bool) for b in data):
        got = "no 'bytes'" if "bytes" not in event else f"'bytes' {json.dumps(data)[:40]}"
        raise InputFileError(f"{where} has {got}: expected the MIDI message as a list of byte values")
    try:
        return t, mido.Message.from_bytes(data)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise InputFileError(f"{where}: 'bytes' {data[:8]} is not a MIDI message ({exc})") from exc


def _seconds(value: Any) -> float | None:
    """`value` as seconds if it is a finite number >= 0 (not a boolean), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except OverflowError:  # an integer beyond float range
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _json_type(value: Any) -> str:
    names = {list: "list", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
