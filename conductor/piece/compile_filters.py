"""Compile resolved filter settings into the frozen filter specs, in order (what a layer did not write
takes the spec's field default)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from conductor.core.keys import parse_key
from conductor.piece import compiled as c
from conductor.piece.context import Context, written
from conductor.piece.durations import SpanKind
from conductor.piece.errors import KeyPath
from conductor.piece.merge import Resolved
from conductor.piece.names import FilterKind, KeyAction, MelodyLine
from conductor.piece.validate import clean_path, lookup
from conductor.piece.values import pitch_name

Where = Callable[..., KeyPath]


def compile_filters(ctx: Context, settings: Resolved, where: Where) -> tuple[c.Filter, ...]:
    """The section's filters in order; range and velocity bounds are checked here."""
    out: list[c.Filter] = []
    for kind, values in settings.values.get("filters", []):
        built = _BUILDERS[FilterKind(kind)](ctx, values, where)
        if built is not None:
            out.append(built)
    return tuple(out)


def _key(ctx: Context, v: dict[str, Any], where: Where) -> c.Filter:
    key = c.DetectKey() if v["key"] == "detect" else c.FixedKey(parse_key(v["key"]))
    return c.KeyFilter(key, **written(action=KeyAction(v["action"]) if "action" in v else None))


def _chords(ctx: Context, v: dict[str, Any], where: Where) -> c.Filter | None:
    window = ctx.span(v.get("window"), SpanKind.TIME, where("filters", "chords", "window"), "chords.window")
    spec = c.ChordsFilter(**written(min_notes=v.get("min_notes"), spacing=v.get("spacing"), window=window))
    if v.get("max_notes") is None:  # unwritten: 4, or min_notes where that is more
        return replace(spec, max_notes=max(spec.max_notes, spec.min_notes))
    spec = replace(spec, max_notes=v["max_notes"])
    if spec.min_notes > spec.max_notes:
        message = f"chords min_notes {spec.min_notes} is above max_notes {spec.max_notes}"
        ctx.error(where("filters", "chords", "min_notes"), message, "min_notes ≤ max_notes")
        return None
    return spec


def _melody(ctx: Context, v: dict[str, Any], where: Where) -> c.Filter:
    return c.MelodyFilter(**written(line=MelodyLine(v["line"]) if "line" in v else None))


def _density(ctx: Context, v: dict[str, Any], where: Where) -> c.Filter:
    keys = ("keep", "max_per_second", "complement")
    return c.DensityFilter(**written(**{k: v.get(k) for k in keys}))


def _range(ctx: Context, v: dict[str, Any], where: Where) -> c.Filter | None:
    spec = c.RangeFilter(**written(low=v.get("low"), high=v.get("high")))
    if spec.low > spec.high:
        at = where("filters", "range", "low")
        texts = [lookup(ctx.doc.data, clean_path(where("filters", "range", k))) for k in ("low", "high")]
        if any(isinstance(w, str) for w in texts):  # the musician wrote note names: answer in names
            low_text, high_text = pitch_name(spec.low), pitch_name(spec.high)
        else:
            low_text, high_text = str(spec.low), str(spec.high)
        ctx.error(at, f"range low {low_text} is above high {high_text}", "low ≤ high")
        return None
    return spec


def _velocity(ctx: Context, v: dict[str, Any], where: Where) -> c.Filter | None:
    spec = c.VelocityFilter(**written(**{k: v.get(k) for k in ("scale", "offset", "low", "high")}))
    if spec.low > spec.high:
        message = f"velocity low {spec.low} is above high {spec.high}"
        ctx.error(where("filters", "velocity", "low"), message, "low ≤ high")
        return None
    return spec


def _horizon(ctx: Context, v: dict[str, Any], where: Where) -> c.Filter:
    span = ctx.span(v.get("horizon"), SpanKind.TIME, where("filters", "horizon", "horizon"), "horizon")
    return c.HorizonFilter(**written(horizon=span))


_BUILDERS: dict[FilterKind, Callable[[Context, dict[str, Any], Where], c.Filter | None]] = {
    FilterKind.KEY: _key,
    FilterKind.CHORDS: _chords,
    FilterKind.MELODY: _melody,
    FilterKind.DENSITY: _density,
    FilterKind.RANGE: _range,
    FilterKind.VELOCITY: _velocity,
    FilterKind.HORIZON: _horizon,
}
