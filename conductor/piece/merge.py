"""Resolve section settings key by key: mode preset ← piece `defaults` ← section.

Each layer is a canonical dict: `on_exit`, the mappings `listen`, `cadence`, `output`, `turns` (merged
key by key), and `filters`: a list of `(kind, settings | False)`. Filters merge by kind: a layer that
lists filters puts them in its order, each updating the inherited filter of its kind key by key; `off`
(False) removes an inherited filter; inherited filters the layer does not mention come first, unchanged.
In `cadence`, every/phrase_end/turns exclude each other: a layer that sets one drops the others it
inherited. The resolution records where each resolved value was written (its origin).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conductor.piece.errors import KeyPath
from conductor.piece.names import FilterKind
from conductor.piece.settings import FilterRaw, SettingsRaw

MAPPINGS = ("listen", "cadence", "output", "turns")
SCALARS = ("on_exit", "feel", "answer")  # one word each, taken whole from the last layer that writes them
CADENCE_KINDS = ("every", "phrase_end", "turns")
_SHORT_FIELD = {"key": "key", "chords": "min_notes", "melody": "line", "density": "keep",
                "velocity": "scale", "horizon": "horizon"}  # fmt: skip


@dataclass
class Layer:
    """One layer of settings; `base` is its key path in the file (None: the mode preset)."""

    values: dict[str, Any]
    base: KeyPath | None
    filter_paths: dict[str, KeyPath] = field(default_factory=dict)  # kind → path of its item


@dataclass
class Resolved:
    """Merged settings and, per leaf (`('listen', 'window')`, `('filters', 'range', 'low')`), its origin."""

    values: dict[str, Any]
    origins: dict[tuple[str, ...], KeyPath | None]

    def origin(self, *leaf: str) -> KeyPath | None:
        """Where `leaf` was written (None: the mode preset or not written at all)."""
        return self.origins.get(leaf)


def filter_entry(item: FilterRaw) -> tuple[str, Any, bool]:
    """(kind, canonical settings or False, written as a mapping?) of one raw filter item."""
    kind = next(k.value for k in FilterKind if getattr(item, k) is not None)
    value = getattr(item, kind)
    if value is False:
        return kind, False, False
    if kind == "key":
        settings = {"key": value} | ({"action": item.action} if item.action else {})
        return kind, settings, False
    if hasattr(value, "model_dump"):
        return kind, value.model_dump(exclude_none=True), True
    return kind, {_SHORT_FIELD[kind]: value}, False


def layer_from_raw(raw: SettingsRaw, base: KeyPath | None) -> Layer:
    """The canonical layer of a section's or the defaults' settings (`base` None: a mode preset)."""
    values: dict[str, Any] = {}
    for name in SCALARS:
        if getattr(raw, name) is not None:
            values[name] = getattr(raw, name)
    for name in MAPPINGS:
        sub = getattr(raw, name)
        if sub is not None:
            values[name] = sub.model_dump(exclude_none=True)
    layer = Layer(values, base)
    if raw.filters is not None:
        entries = []
        for j, item in enumerate(raw.filters):
            kind, settings, mapped = filter_entry(item)
            entries.append((kind, settings))
            if base is not None:
                layer.filter_paths[kind] = (*base, "filters", j, kind) + (("~map",) if mapped else ())
        values["filters"] = entries
    return layer


def resolve(layers: list[Layer]) -> Resolved:
    """Merge `layers` in order (later wins), recording the origin of every leaf."""
    out = Resolved({"filters": []}, {})
    for layer in layers:
        for name in SCALARS:
            if name in layer.values:
                out.values[name] = layer.values[name]
                out.origins[(name,)] = _at(layer.base, name)
        for name in MAPPINGS:
            if name in layer.values:
                _merge_mapping(out, layer, name)
        if "filters" in layer.values:
            _merge_filters(out, layer)
    return out


def _at(base: KeyPath | None, *rest: str | int) -> KeyPath | None:
    return None if base is None else (*base, *rest)


def _merge_mapping(out: Resolved, layer: Layer, name: str) -> None:
    new = layer.values[name]
    current = out.values.setdefault(name, {})
    if name == "cadence" and any(k in new for k in CADENCE_KINDS):
        for k in CADENCE_KINDS:
            current.pop(k, None)
            out.origins.pop((name, k), None)
    for key, value in new.items():
        current[key] = value
        out.origins[(name, key)] = _at(layer.base, name, key)


def _merge_filters(out: Resolved, layer: Layer) -> None:
    inherited: dict[str, dict[str, Any]] = dict(out.values["filters"])
    listed = layer.values["filters"]
    mentioned = {kind for kind, _ in listed}
    merged = [(kind, v) for kind, v in out.values["filters"] if kind not in mentioned]
    for kind, settings in listed:
        if settings is False:
            continue
        merged.append((kind, {**inherited.get(kind, {}), **settings}))
        path = layer.filter_paths.get(kind)
        for key in settings:
            leaf = None if path is None else ((*path[:-1], key) if path[-1] == "~map" else path)
            out.origins[("filters", kind, key)] = leaf
    out.values["filters"] = merged
