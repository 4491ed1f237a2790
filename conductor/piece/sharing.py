"""Share equal parts of a compiled piece: one object for every equal frozen value.

A running order of 10,000 sections compiles to ~230,000 objects, most of them equal (each section's
model, sampling, window, filters). Sharing them leaves ~10 objects a section: the piece is smaller,
pickles to a fraction of the bytes (the parser process's reply), and unpickles without the garbage
collector's long pauses (a pause holds the GIL, and so the performing process's clock thread).
Safe because every part is frozen; only values of the same type and equal value are shared.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def share_equal(value: T) -> T:
    """`value` rebuilt so that equal frozen parts (dataclasses, tuples, frozensets) are one object."""
    shared: T = _Sharer().share(value)
    return shared


class _Sharer:
    def __init__(self) -> None:
        self.equal: dict[tuple[type, Any], Any] = {}  # (type, value) → the one shared object
        self.done: dict[int, Any] = {}  # id of an object already shared → its shared object
        self.keep: list[Any] = []  # the objects whose ids are in `done` (ids stay unique while kept)

    def share(self, value: Any) -> Any:
        kind = type(value)
        if kind in _LEAVES or kind.__module__ == "enum":
            return value
        known = self.done.get(id(value))
        if known is not None:
            return known
        shared = self._rebuilt(value)
        with contextlib.suppress(TypeError):  # an unhashable part (never in a compiled piece) is kept
            shared = self.equal.setdefault((kind, shared), shared)
        self.done[id(value)] = shared
        self.keep.append(value)
        return shared

    def _rebuilt(self, value: Any) -> Any:
        if type(value) is tuple:
            items = tuple(self.share(item) for item in value)
            return value if all(a is b for a, b in zip(items, value, strict=True)) else items
        if not dataclasses.is_dataclass(value):
            return value
        names = _field_names(type(value))
        parts = {name: self.share(getattr(value, name)) for name in names}
        if all(parts[name] is getattr(value, name) for name in names):
            return value
        rebuilt: Any = value
        return dataclasses.replace(rebuilt, **parts)


_LEAVES = frozenset({str, int, float, bool, type(None)})
_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    names = _NAMES.get(kind)
    if names is None:
        names = _NAMES[kind] = tuple(f.name for f in dataclasses.fields(kind))
    return names
