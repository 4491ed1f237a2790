"""Compile one section: resolve its settings over its mode and the piece defaults, then freeze them.

Only what some layer wrote is passed on; every other setting takes its field's default in
`conductor.piece.compiled`. One rule is not a value: in trading, the listening window, the output
span and the horizon default to one turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conductor.core.events import Source
from conductor.core.timebase import Span, Unit
from conductor.piece import compiled as c
from conductor.piece.compile_filters import compile_filters
from conductor.piece.context import Context, written
from conductor.piece.durations import SpanKind, parse_span
from conductor.piece.errors import KeyPath
from conductor.piece.limits import MIN_CADENCE_S
from conductor.piece.merge import CADENCE_KINDS, Layer, Resolved, layer_from_raw, resolve
from conductor.piece.modes import SILENT_MODES, preset_values
from conductor.piece.names import Answer, ExitPolicy, Feel, Mode, Overlap
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
    layers = [Layer(preset_values(raw.mode), None)]
    if defaults is not None:
        inherited = Layer(dict(defaults.values), defaults.base, defaults.filter_paths)
        if raw.mode == Mode.TRADING and "cadence" in inherited.values:  # trading always answers at turns
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
    cadence = _cadence(src)
    _check_mode_keys(src)
    on_exit = src.settings.values.get("on_exit")
    feel = src.settings.values.get("feel")
    answer = src.settings.values.get("answer")
    return c.Section(
        name=raw.name,
        index=index,
        mode=Mode(raw.mode),
        length=length,
        then=c.Then(),  # set by the piece compiler, which knows the running order
        listen=_listen(src, cadence),
        cadence=cadence,
        output=_output(src, cadence),
        filters=compile_filters(src.ctx, src.settings, src.where),
        model=model,
        silent=raw.mode in SILENT_MODES,
        **written(on_exit=None if on_exit is None else ExitPolicy(on_exit)),
        line=ctx.doc.positions.value(src.path).line,
        **written(feel=None if feel is None else Feel(feel)),
        **written(answer=None if answer is None else Answer(answer)),
    )


def _turns(src: SectionSource, overlap: dict[str, Any]) -> c.AtTurns:
    values = src.settings.values.get("turns", {})
    starts = None if values.get("starts") is None else Source(values["starts"])
    turns = c.AtTurns(**written(bars=values.get("bars"), starts=starts), **overlap)
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
    written_keys = src.raw.model_fields_set
    if "turns" in written_keys and src.raw.mode != Mode.TRADING:
        message = f"turns only apply to trading, and this section is {src.raw.mode}"
        src.ctx.error((*src.path, "turns"), message, "mode: trading, or no turns here")
    cadence = src.raw.cadence
    if src.raw.mode == Mode.TRADING and cadence is not None and (cadence.every or cadence.phrase_end):
        message = "trading answers at each AI turn; every/phrase_end do not apply"
        src.ctx.error((*src.path, "cadence"), message, "only cadence.overlap in a trading section")


def _one_turn(cadence: c.CadenceSpec) -> Span | None:
    """A trading turn as a span (what window, span and horizon default to there); None elsewhere."""
    return Span(cadence.bars, Unit.BARS) if isinstance(cadence, c.AtTurns) else None


def _listen(src: SectionSource, cadence: c.CadenceSpec) -> c.ListenSpec:
    values: dict[str, Any] = src.settings.values.get("listen", {})
    sources = values.get("sources")
    return c.ListenSpec(
        **written(
            sources=None if sources is None else frozenset(Source(s) for s in sources),
            window=src.span("listen", "window", SpanKind.WINDOW) or _one_turn(cadence),
            max_events=values.get("max_events"),
        )
    )


def _cadence(src: SectionSource) -> c.CadenceSpec:
    values: dict[str, Any] = src.settings.values.get("cadence", {})
    overlap = written(overlap=Overlap(values["overlap"]) if "overlap" in values else None)
    if src.raw.mode == Mode.TRADING:
        return _turns(src, overlap)
    if values.get("turns"):
        src.ctx.error(
            src.where("cadence", "turns"), "cadence turns only apply to trading", "every or phrase_end"
        )
        return c.AtTurns(**overlap)
    if "phrase_end" in values:
        fallback = (
            {"fallback": None}
            if values.get("fallback") is False
            else written(fallback=src.span("cadence", "fallback"))
        )
        return c.PhraseEnd(**written(silence=src.span("cadence", "phrase_end")), **fallback, **overlap)
    return c.Every(**written(every=src.span("cadence", "every", min_s=MIN_CADENCE_S)), **overlap)


def _output(src: SectionSource, cadence: c.CadenceSpec) -> c.OutputSpec:
    """Events, and the horizon: the tighter of the written span and horizon (each one turn in trading)."""
    values: dict[str, Any] = src.settings.values.get("output", {})
    turn = _one_turn(cadence)
    spans = [span for key in ("span", "horizon") if (span := src.span("output", key) or turn) is not None]
    horizon = min(spans, key=lambda span: span.seconds(src.ctx.timebase), default=None)
    return c.OutputSpec(
        **written(events=values.get("events"), max_group=values.get("max_group"), horizon=horizon)
    )
