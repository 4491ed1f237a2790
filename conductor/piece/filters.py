"""Compile resolved filter settings into the frozen filter specs, in order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conductor.core.timebase import Span, Unit
from conductor.piece import compiled as c
from conductor.piece.context import Context
from conductor.piece.durations import SpanKind
from conductor.piece.errors import KeyPath
from conductor.piece.merge import Resolved
from conductor.piece.validate import clean_path, lookup
from conductor.piece.values import pitch_name

Where = Callable[..., KeyPath]


def compile_filters(ctx: Context, settings: Resolved, where: Where) -> tuple[c.Filter, ...]:
    """The section's filters in order; range and velocity bounds are checked here."""
    out: list[c.Filter] = []
    for kind, values in settings.values.get("filters", []):
        built = _BUILDERS[kind](ctx, values, where)
        if built is not None:
            out.append(built)
    return tuple(out)


def _key(ctx: Context, v: dict[str, Any], where: Where) -> c.Filter:
    key = v.get("key", "detect")
    return c.KeyFilter(key=None if key == "detect" else key, action=c.KeyAction(v.get("action", "snap")))


def _chords(ctx: Context, v: dict[str, Any], where: Where) -> c.Filter:
    window = ctx.span(v.get("window"), SpanKind.TIME, where("filters", "chords", "window"), "chords.window")
    return c.ChordsFilter(min_notes=v.get("min_notes", 3), window=window or Span(0.05, Unit.SECONDS))


def _melody(ctx: Context, v: dict[str, Any], where: Where) -> c.Filter:
    return c.MelodyFilter(line=c.MelodyLine(v.get("line", "highest")))


def _density(ctx: Context, v: dict[str, Any], where: Where) -> c.Filter:
    return c.DensityFilter(
        keep=v.get("keep"), max_per_second=v.get("max_per_second"), complement=v.get("complement", False)
    )


def _range(ctx: Context, v: dict[str, Any], where: Where) -> c.Filter | None:
    low, high = v.get("low", 21), v.get("high", 108)
    if low > high:
        at = where("filters", "range", "low")
        written = [lookup(ctx.doc.data, clean_path(where("filters", "range", k))) for k in ("low", "high")]
        if any(isinstance(w, str) for w in written):  # the musician wrote note names: answer in names
            low_text, high_text = pitch_name(low), pitch_name(high)
        else:
            low_text, high_text = str(low), str(high)
        ctx.error(at, f"range low {low_text} is above high {high_text}", "low ≤ high")
        return None
    return c.RangeFilter(low=low, high=high)


def _velocity(ctx: Context, v: dict[str, Any], where: Where) -> c.Filter | None:
    low, high = v.get("low", 1), v.get("high", 127)
    if low > high:
        ctx.error(
            where("filters", "velocity", "low"), f"velocity low {low} is above high {high}", "low ≤ high"
        )
        return None
    return c.VelocityFilter(scale=v.get("scale", 1.0), offset=v.get("offset", 0), low=low, high=high)


def _horizon(ctx: Context, v: dict[str, Any], where: Where) -> c.Filter:
    span = ctx.span(v.get("horizon"), SpanKind.TIME, where("filters", "horizon", "horizon"), "horizon")
    return c.HorizonFilter(horizon=span or Span(2, Unit.BARS))


_BUILDERS: dict[str, Callable[[Context, dict[str, Any], Where], c.Filter | None]] = {
    "key": _key,
    "chords": _chords,
    "melody": _melody,
    "density": _density,
    "range": _range,
    "velocity": _velocity,
    "horizon": _horizon,
}
