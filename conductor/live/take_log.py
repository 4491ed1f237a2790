"""The take log's lines, and the recorder's account of what it could not write.

`log_line` builds one `.jsonl` line: `{"t": ..., "kind": ..., ...}` — for a MIDI message its `bytes`
and `msg` text, for a typed event (`conductor.engine.take_events`) its fields. Strict JSON: a number
JSON cannot hold (inf, nan) is written as text. `Troubles` counts what failed and logs each distinct
trouble once, with its reason.
"""

from __future__ import annotations

import json
import logging
import math
import threading

import mido

from conductor.engine.take_events import TakeEvent

log = logging.getLogger(__name__)


class Troubles:
    """What could not be written: a count and the first reason; each distinct trouble logged once.
    Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0  # guarded by _lock
        self.first = ""
        self._logged: set[str] = set()

    def add(self, what: str, exc: BaseException, at: float | None = None, count: bool = True) -> None:
        """`what` failed with `exc` (at take time `at`); `count` it unless it is no event of its own."""
        reason = _reason(exc)
        where = f"{what} at {at:.3f} s" if at is not None else what
        key = f"{what} {type(exc).__name__}"
        with self._lock:
            self.count += int(count)
            self.first = self.first or f"{where}: {reason}"
            if key in self._logged:
                return
            self._logged.add(key)
        log.error("take: cannot record %s (%s); the take goes on", where, reason)


def log_line(t: float, part: str | None, payload: mido.Message | TakeEvent) -> str:
    """The `.jsonl` line of one item (raises if it cannot be written)."""
    if not math.isfinite(t):
        raise ValueError(f"its time {t!r} is not a number")
    if part is not None:  # a MIDI message of `part` (whatever was handed in: asked for its bytes)
        msg: mido.Message = payload
        fields = {"kind": part, "bytes": msg.bytes(), "msg": str(msg).removesuffix(" time=0")}
    else:
        fields = {"kind": payload.kind, **{k: _finite(v) for k, v in payload.fields().items()}}
    return json.dumps({"t": round(t, 6), **fields}, default=str, allow_nan=False)


def _finite(value: object) -> object:
    return str(value) if isinstance(value, float) and not math.isfinite(value) else value


def _reason(exc: BaseException) -> str:
    try:
        return f"{type(exc).__name__}: {exc}"
    except Exception:  # an exception that cannot even say what it is
        return type(exc).__name__
