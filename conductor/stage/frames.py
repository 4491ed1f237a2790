"""Views as small JSON frames: each field encoded once per change, each client sent only what changed.

A frame is `{"type": "view", "seq": N, "view": {field: value, ...}}` holding the fields that differ
from what that client was last sent (all of them on its first frame). Notes are `[onset, duration,
pitch, velocity]` lists. Numbers JSON cannot hold (inf, nan) are sent as null.

Thread safety: none needed — the web server's event loop is the only user.
"""

from __future__ import annotations

import json
import math
from dataclasses import fields
from typing import Any

from conductor.stage.view import StageView

FIELDS = tuple(f.name for f in fields(StageView))
_MISSING = object()


def encode(value: Any) -> str:
    """`value` as compact JSON, with any non-finite number as null."""
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    except ValueError:
        return json.dumps(_finite(value), separators=(",", ":"), ensure_ascii=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def view_dict(view: StageView) -> dict[str, Any]:
    """The view as the page receives it (a plain dict of JSON values)."""
    return {name: json.loads(encode(getattr(view, name))) for name in FIELDS}


class FrameEncoder:
    """Encodes views field by field, again only for the fields whose value changed since the last view
    (compared by identity first, so a builder that reuses unchanged tuples costs nothing)."""

    def __init__(self) -> None:
        self._version = -1
        self._values: dict[str, Any] = {}
        self._fragments: dict[str, str] = {}

    def fragments(self, version: int, view: StageView) -> dict[str, str]:
        """{field: JSON text} for `view` (the same dict again while `version` is unchanged)."""
        if version == self._version:
            return self._fragments
        values: dict[str, Any] = {}
        fragments: dict[str, str] = {}
        for name in FIELDS:
            value = getattr(view, name)
            old = self._values.get(name, _MISSING)
            same = old is value or (old is not _MISSING and old == value)
            fragments[name] = self._fragments[name] if same else encode(value)
            values[name] = value
        self._version, self._values, self._fragments = version, values, fragments
        return fragments


def frame_text(fragments: dict[str, str], sent: dict[str, str], seq: int) -> str | None:
    """The frame carrying the fields of `fragments` that differ from `sent` (updated in place), or None
    when nothing differs."""
    changed = [(name, text) for name, text in fragments.items() if sent.get(name) != text]
    if not changed:
        return None
    sent.update(changed)
    body = ",".join(f'"{name}":{text}' for name, text in changed)
    return f'{{"type":"view","seq":{seq},"view":{{{body}}}}}'
