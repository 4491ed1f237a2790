"""Compile a validated raw piece into the frozen `Piece` (all cross-setting checks happen here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from conductor.core.timebase import Span, Timebase, Unit
from conductor.piece import compiled as c
from conductor.piece.context import Context, written
from conductor.piece.durations import SpanKind, parse_span, span_text
from conductor.piece.merge import Layer, layer_from_raw
from conductor.piece.names import Action, Dtype, Grid, ModelKind, Param, TokenizerName, TriggerKind
from conductor.piece.osc import OscParamMapping, OscSpec, split_host_port
from conductor.piece.schema import ControlRaw, ModelRaw, ParamRaw, PieceFile
from conductor.piece.sections import compile_section
from conductor.piece.values import parse_meter

E = TypeVar("E", bound=StrEnum)
PARAM_BOUNDS = {
    Param.TEMPERATURE: (0.01, 5.0),
    Param.TOP_P: (0.01, 1.0),
    Param.DENSITY: (0.0, 1.0),
    Param.VELOCITY: (0.0, 4.0),
}


def compile_piece(
    ctx: Context, raw: PieceFile, path: Path | None, indices: Sequence[int] | None = None
) -> c.Piece:
    """The frozen piece (errors go to `ctx`; the result is only used if there are none).

    `indices`: where each of `raw.sections` stands in the file, when some were left out
    (`conductor.piece.partial`); by default their own positions.
    """
    beats, unit = parse_meter(raw.meter or "4/4")
    ctx.timebase = Timebase(bpm=raw.tempo or 120.0, beats_per_bar=beats, beat_unit=unit)
    changes_on = Grid(raw.changes_on or (Grid.BAR if ctx.has_tempo else Grid.NOW))
    if changes_on != Grid.NOW and not ctx.has_tempo:
        ctx.error(("changes_on",), f"changes_on '{changes_on}' needs a tempo", "now, or add 'tempo:'")
    defaults = layer_from_raw(raw.defaults, ("defaults",)) if raw.defaults else None
    piece_model = model_dict(raw.model)
    sections = []
    for i, section in zip(indices or range(len(raw.sections)), raw.sections, strict=True):
        model = build_model(ctx, deep_merge(piece_model, model_dict(section.model)), ("sections", i, "model"))
        sections.append(compile_section(ctx, section, i, defaults, model))
    return c.Piece(
        title=raw.title or (path.stem if path else "untitled"),
        path=path,
        timebase=ctx.timebase,
        model=build_model(ctx, piece_model, ("model",)),
        routing=_routing(raw),
        actions=tuple(_action(ctx, control, i, ctx.timebase) for i, control in enumerate(raw.controls or [])),
        params=tuple(_params(ctx, raw)),
        recording=_recording(raw),
        sections=_link(raw, sections),
        changes_on=changes_on,
        osc=_osc(raw),
    )


def model_dict(raw: str | ModelRaw | None) -> dict[str, Any]:
    """A model setting in mapping form (`markov` → `{kind: markov}`)."""
    if raw is None:
        return {}
    if isinstance(raw, str):
        return {"kind": raw}
    return raw.model_dump(exclude_none=True)


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`, mappings merged key by key."""
    out = dict(base)
    for key, value in over.items():
        out[key] = (
            deep_merge(out[key], value)
            if isinstance(value, dict) and isinstance(out.get(key), dict)
            else value
        )
    return out


def build_model(ctx: Context, values: dict[str, Any], where: tuple[str | int, ...]) -> c.ModelSpec:
    """The frozen `ModelSpec` of a resolved model mapping (what it does not say: the field defaults)."""
    markov = dict(values.get("markov", {}))
    markov |= written(seed=tuple(markov["seed"]) if "seed" in markov else None)
    markov |= written(state=Path(markov["state"]) if markov.get("state") else None)
    spec = c.ModelSpec(
        sampling=c.SamplingSpec(**values.get("sampling", {})),
        markov=c.MarkovSpec(**markov),
        **written(
            kind=_word(ModelKind, values.get("kind")),
            checkpoint=Path(values["checkpoint"]) if values.get("checkpoint") else None,
            lora=Path(values["lora"]) if values.get("lora") else None,
            config=values.get("config"),
            tokenizer=_word(TokenizerName, values.get("tokenizer")),
            device=values.get("device"),
            dtype=_word(Dtype, values.get("dtype")),
        ),
    )
    if spec.kind is ModelKind.SKYTNT and spec.checkpoint is None and not spec.config:
        ctx.error(where, "the skytnt model needs a checkpoint (or a config for a random model)",
                  "checkpoint: ../models/NAME")  # fmt: skip
    if spec.kind is ModelKind.SKYTNT and spec.lora is not None and spec.checkpoint is None:
        ctx.error((*where, "lora"), "a LoRA adapter needs the checkpoint it was trained on",
                  "checkpoint: ../models/NAME beside lora:")  # fmt: skip
    return spec


def _word(enum: type[E], value: str | None) -> E | None:
    """`value` as a member of `enum` (None stays None: not written)."""
    return None if value is None else enum(value)


def _routing(raw: PieceFile) -> c.RoutingSpec:
    midi = raw.midi
    if midi is None:
        return c.RoutingSpec()
    return c.RoutingSpec(
        input=midi.input,
        output=midi.output,
        footswitch=midi.footswitch,
        clock=midi.clock,
        ai_channel=(midi.ai_channel or 1) - 1,
        program=None if midi.program is None else midi.program - 1,
    )


CONTROL_TIMES = {"debounce": (0.001, 2.0), "confirm_stop": (0.5, 30.0)}  # seconds, when not off


def _action(ctx: Context, control: ControlRaw, i: int, tb: Timebase) -> c.ActionMapping:
    trigger: c.MidiTrigger | c.OscTrigger
    if control.osc is not None:
        trigger = c.OscTrigger(control.osc)
    else:
        kind = next(k for k in TriggerKind if getattr(control, k) is not None)
        channel = None if control.channel is None else control.channel - 1
        trigger = c.MidiTrigger(
            kind, getattr(control, kind), **written(channel=channel, threshold=control.threshold)
        )
    times = written(
        debounce=_control_time(ctx, control, i, "debounce", tb),
        confirm_stop=_control_time(ctx, control, i, "confirm_stop", tb),
    )
    if isinstance(control.action, str):
        return c.ActionMapping(trigger, Action(control.action), **times)
    return c.ActionMapping(trigger, Action.GOTO, control.action.goto, **times)


def _control_time(ctx: Context, control: ControlRaw, i: int, name: str, tb: Timebase) -> float | None:
    """A control's debounce or confirm_stop in seconds (0.0: off; None: not written), checked against
    CONTROL_TIMES."""
    value = getattr(control, name)
    if value is None:
        return None
    if value is False:
        return 0.0
    span = parse_span(value, SpanKind.TIME)
    if span is None:
        return None
    seconds = span.seconds(tb)
    low, high = CONTROL_TIMES[name]
    if not low <= seconds <= high:
        bounds = f"a time from {span_text(Span(low, Unit.SECONDS))} to {span_text(Span(high, Unit.SECONDS))}"
        ctx.error(("controls", i, name), f"{name} '{value}' is too {'short' if seconds < low else 'long'}",
                  f"{bounds}, or off")  # fmt: skip
    return seconds


def _params(ctx: Context, raw: PieceFile) -> list[c.ParamMapping]:
    out = []
    for i, param in enumerate(raw.params or []):
        low, high = _param_range(ctx, param, i)
        if param.cc is None:
            continue  # an OSC fader: `_osc`
        channel = None if param.channel is None else param.channel - 1
        out.append(c.ParamMapping(cc=param.cc, param=Param(param.param), low=low, high=high, channel=channel))
    return out


def _param_range(ctx: Context, param: ParamRaw, i: int) -> tuple[float, float]:
    """The param's range, checked against PARAM_BOUNDS."""
    low, high = param.range
    lo, hi = PARAM_BOUNDS[Param(param.param)]
    if not (lo <= low <= hi and lo <= high <= hi):
        ctx.error(("params", i, "range"), f"{param.param} range [{low}, {high}] is out of bounds",
                  f"values within {lo}..{hi}")  # fmt: skip
    return low, high


def _osc(raw: PieceFile) -> OscSpec:
    """The `osc:` block and the OSC faders of `params:`."""
    faders = tuple(
        OscParamMapping(p.osc, Param(p.param), *p.range) for p in raw.params or [] if p.osc is not None
    )
    block = raw.osc
    if block is None:
        return OscSpec(params=faders)
    send_to = None if block.send_to is None else split_host_port(block.send_to)
    return OscSpec(**written(host=block.host), port=block.port, send_to=send_to, params=faders)


def _recording(raw: PieceFile) -> c.RecordingSpec:
    rec = raw.recording
    if rec is None:
        return c.RecordingSpec()
    return c.RecordingSpec(
        **written(folder=None if rec.folder is None else Path(rec.folder), enabled=rec.enabled)
    )


def _link(raw: PieceFile, sections: list[c.Section]) -> tuple[c.Section, ...]:
    """Set each section's `then`; the last section's implicit `next` becomes `stop`."""
    out = []
    for i, section in enumerate(sections):
        then = raw.sections[i].then
        if isinstance(then, str):
            follow = c.Then(c.ThenKind(then))
        elif then is not None:
            follow = c.Then(c.ThenKind.GOTO, then.goto)
        else:
            follow = c.Then(c.ThenKind.NEXT)
        if follow.kind is c.ThenKind.NEXT and i == len(sections) - 1:
            follow = c.Then(c.ThenKind.STOP)
        out.append(_replace_then(section, follow))
    return tuple(out)


def _replace_then(section: c.Section, then: c.Then) -> c.Section:
    return replace(section, then=then)


__all__ = ["Layer", "compile_piece"]
