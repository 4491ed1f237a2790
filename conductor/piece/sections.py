"""Compile one section: resolve its settings over its mode and the piece defaults, then freeze them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conductor.core.events import Source
from conductor.core.timebase import Span, Unit
from conductor.piece import compiled as c
from conductor.piece.context import Context
from conductor.piece.durations import SpanKind, parse_span
from conductor.piece.errors import KeyPath
from conductor.piece.filters import compile_filters
from conductor.piece.limits import MIN_CADENCE_S
from conductor.piece.merge import CADENCE_KINDS, Layer, Resolved, layer_from_raw, resolve
from conductor.piece.modes import SILENT_MODES, preset
from conductor.piece.schema import SectionRaw


@dataclass
class SectionSource:
    """One section being compiled: its raw form, index, where it is, and its resolved settings."""

    ctx: Context
    raw: SectionRaw
    index: int
    settings: Resolved

    @property
    def path(self) -> KeyPath:
        return ("sections", self.index)

    def where(self, *leaf: str) -> KeyPath:
        """Where a resolved leaf was written; a preset's value points at the section's `mode`."""
        return self.settings.origin(*leaf) or (*self.path, "mode")

    def span(
        self, group: str, key: str, kind: SpanKind = SpanKind.TIME, min_s: float | None = None
    ) -> Span | None:
        text = self.settings.values.get(group, {}).get(key)
        what = f"{group}.{key}" + (
            "" if self.settings.origin(group, key) else f" (from mode {self.raw.mode})"
        )
        return self.ctx.span(text, kind, self.where(group, key), what, min_s)


def _layers(raw: SectionRaw, index: int, defaults: Layer | None) -> list[Layer]:
    layers = [Layer(preset(raw.mode), None)]
    if defaults is not None:
        inherited = Layer(dict(defaults.values), defaults.base, defaults.filter_paths)
        if raw.mode == "trading" and "cadence" in inherited.values:  # trading always answers at turns
            cadence = {k: v for k, v in inherited.values["cadence"].items() if k not in CADENCE_KINDS}
            inherited.values["cadence"] = cadence
        layers.append(inherited)
    layers.append(layer_from_raw(raw, ("sections", index)))
    return layers


def compile_section(
    ctx: Context, raw: SectionRaw, index: int, defaults: Layer | None, model: c.ModelSpec
) -> c.Section:
    """The frozen `Section` for `raw` (errors go to `ctx`; the result is only used if there are none)."""
    src = SectionSource(ctx, raw, index, resolve(_layers(raw, index, defaults)))
    length = ctx.span(raw.length, SpanKind.LENGTH, (*src.path, "length"), "length")
    turns = _turns(src)
    _check_mode_keys(src)
    return c.Section(
        name=raw.name,
        index=index,
        mode=c.Mode(raw.mode),
        length=length,
        then=c.Then(),  # set by the piece compiler, which knows the running order
        listen=_listen(src, turns),
        cadence=_cadence(src),
        output=_output(src, turns),
        turns=turns,
        filters=compile_filters(src.ctx, src.settings, src.where),
        model=model,
        silent=raw.mode in SILENT_MODES,
        on_exit=c.ExitPolicy(src.settings.values.get("on_exit", "cancel")),
        line=ctx.doc.positions.value(src.path).line,
    )


def _turns(src: SectionSource) -> c.TurnSpec | None:
    if src.raw.mode != "trading":
        return None
    values = src.settings.values.get("turns", {})
    turns = c.TurnSpec(bars=values.get("bars", 4), starts=Source(values.get("starts", "human")))
    if not src.ctx.has_tempo:
        src.ctx.error(src.where("turns", "bars"), "trading counts turns in bars, but the piece has no tempo",
                      "a 'tempo:' line at the top")  # fmt: skip
    length = parse_span(src.raw.length, SpanKind.LENGTH)
    if length is not None and length.unit is Unit.BARS and length.amount % turns.bars:
        src.ctx.error((*src.path, "length"), f"{length} is not a whole number of {turns.bars}-bar turns",
                      f"a multiple of {turns.bars} bars")  # fmt: skip
    return turns


def _check_mode_keys(src: SectionSource) -> None:
    """Settings that make no sense in this section's mode, when the section itself wrote them."""
    written = src.raw.model_fields_set
    if "turns" in written and src.raw.mode != "trading":
        message = f"turns only apply to trading, and this section is {src.raw.mode}"
        src.ctx.error((*src.path, "turns"), message, "mode: trading, or no turns here")
    cadence = src.raw.cadence
    if src.raw.mode == "trading" and cadence is not None and (cadence.every or cadence.phrase_end):
        message = "trading answers at each AI turn; every/phrase_end do not apply"
        src.ctx.error((*src.path, "cadence"), message, "only cadence.overlap in a trading section")


def _listen(src: SectionSource, turns: c.TurnSpec | None) -> c.ListenSpec:
    values: dict[str, Any] = src.settings.values.get("listen", {})
    window = src.span("listen", "window", SpanKind.WINDOW)
    if window is None:
        window = Span(turns.bars if turns else 4, Unit.BARS)
    sources = frozenset(Source(s) for s in values.get("sources", ["human"]))
    return c.ListenSpec(sources=sources, window=window, max_events=values.get("max_events", 256))


def _cadence(src: SectionSource) -> c.CadenceSpec:
    values: dict[str, Any] = src.settings.values.get("cadence", {})
    overlap = c.Overlap(values.get("overlap", "wait"))
    if src.raw.mode == "trading" or values.get("turns"):
        if src.raw.mode != "trading":
            src.ctx.error(src.where("cadence", "turns"), "cadence turns only apply to trading",
                          "every or phrase_end")  # fmt: skip
        return c.CadenceSpec(kind=c.CadenceKind.TURNS, overlap=overlap)
    if "phrase_end" in values:
        silence = src.span("cadence", "phrase_end")
        return c.CadenceSpec(kind=c.CadenceKind.PHRASE_END, silence=silence, overlap=overlap)
    every = src.span("cadence", "every", min_s=MIN_CADENCE_S)
    return c.CadenceSpec(kind=c.CadenceKind.EVERY, every=every, overlap=overlap)


def _output(src: SectionSource, turns: c.TurnSpec | None) -> c.OutputSpec:
    values: dict[str, Any] = src.settings.values.get("output", {})
    span, horizon = src.span("output", "span"), src.span("output", "horizon")
    if turns is not None:
        turn = Span(turns.bars, Unit.BARS)
        span, horizon = span or turn, horizon or turn
    return c.OutputSpec(events=values.get("events", 16), span=span, horizon=horizon)
