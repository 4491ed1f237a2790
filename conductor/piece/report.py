"""Explain a compiled piece (the running order table of `conductor check`) and render errors."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from conductor.core.events import Source
from conductor.core.timebase import Span, Timebase, Unit
from conductor.piece import compiled as c
from conductor.piece.durations import span_text
from conductor.piece.errors import PieceError


def length_text(span: Span | None, tb: Timebase) -> str:
    """`8 bars · 20.0 s`, `45 s ≈ 18 bars`, or `footswitch`."""
    if span is None:
        return span_text(span)
    seconds = span.seconds(tb)
    bars = seconds / tb.seconds_per_bar
    if span.unit is Unit.SECONDS:
        return f"{span_text(span)} ≈ {bars:.3g} bars"
    prefix = f"{span_text(span)} = {bars:g} bars" if span.unit is Unit.BEATS else span_text(span)
    return f"{prefix} · {seconds:.1f} s"


def then_text(section: c.Section) -> str:
    """What follows `section`."""
    if section.then.kind is c.ThenKind.GOTO:
        return f"goto {section.then.target}"
    return section.then.kind.value


def listen_text(section: c.Section) -> str:
    """`human+ai, 4 bars, ≤256`."""
    sources = "+".join(s.value for s in (Source.HUMAN, Source.AI) if s in section.listen.sources)
    return f"{sources}, {span_text(section.listen.window)}, ≤{section.listen.max_events}"


def cadence_text(section: c.Section) -> str:
    """`every 2 bars, replace` / `phrase end 1 beat, wait` / `turns of 4 bars, human starts`."""
    if section.silent:
        return "silent"
    cad = section.cadence
    if isinstance(cad, c.AtTurns):
        head = f"turns of {cad.bars} bars, {cad.starts.value} starts"
    elif isinstance(cad, c.PhraseEnd):
        fallback = "no fallback" if cad.fallback is None else f"bar grid after {span_text(cad.fallback)}"
        head = f"phrase end ({span_text(cad.silence)} silence, {fallback})"
    else:
        head = f"every {span_text(cad.every)}"
    return f"{head}; {cad.overlap.value}; {section.output.events} notes"


def filter_text(f: c.Filter) -> str:
    """One filter in a few words."""
    if isinstance(f, c.KeyFilter):
        key = f.key.key.name if isinstance(f.key, c.FixedKey) else "detect"
        return f"key {key}/{f.action.value}"
    if isinstance(f, c.ChordsFilter):
        return f"chords ≥{f.min_notes} in {span_text(f.window)}"
    if isinstance(f, c.MelodyFilter):
        return f"melody {f.line.value}"
    if isinstance(f, c.DensityFilter):
        parts = [f"keep {f.keep:g}" if f.keep < 1 else "", f"≤{f.max_per_second:g}/s"
                 if f.max_per_second is not None else "", "complement" if f.complement else ""]  # fmt: skip
        return "density " + " ".join(p for p in parts if p)
    if isinstance(f, c.RangeFilter):
        return f"range {f.low}..{f.high}"
    if isinstance(f, c.VelocityFilter):
        return f"velocity ×{f.scale:g}" + (f"{f.offset:+d}" if f.offset else "")
    return f"horizon {span_text(f.horizon)}"


def running_time(piece: c.Piece) -> tuple[float | None, str]:
    """Seconds from the first section to `stop` following `then`, or None with the reason it is open."""
    total, index, seen = 0.0, 0, set()
    while 0 <= index < len(piece.sections):
        if index in seen:
            return None, f"loops back to '{piece.sections[index].name}'"
        seen.add(index)
        section = piece.sections[index]
        if section.length is None:
            return None, f"'{section.name}' waits for the footswitch"
        total += section.length.seconds(piece.timebase)
        then = section.then
        if then.kind is c.ThenKind.STOP:
            break
        if then.kind is c.ThenKind.LOOP:
            return None, f"'{section.name}' loops"
        index = piece.index_of(then.target or "") if then.kind is c.ThenKind.GOTO else index + 1  # type: ignore[assignment]
    return total, "stops"


def running_order(piece: c.Piece) -> Table:
    """The running order as a rich table."""
    tb = piece.timebase
    table = Table(
        title=f"{piece.title} — {tb.bpm:g} bpm, {tb.beats_per_bar}/{tb.beat_unit}", title_justify="left"
    )
    for column in ("#", "section", "mode", "length", "then", "listening", "cadence", "filters"):
        table.add_column(column, overflow="fold")
    for s in piece.sections:
        filters = ", ".join(filter_text(f) for f in s.filters) or "—"
        table.add_row(str(s.index + 1), s.name, s.mode.value, length_text(s.length, tb), then_text(s),
                      listen_text(s), cadence_text(s), filters)  # fmt: skip
    total, why = running_time(piece)
    table.caption = (
        f"total {total // 60:.0f}:{total % 60:04.1f} ({why})" if total is not None else f"open: {why}"
    )
    return table


def error_text(errors: Sequence[PieceError]) -> Text:
    """Every error, one block each: where, key path, message, expected, suggestion."""
    out = Text()
    for e in errors:
        out.append(f"{e.where}", style="bold")
        out.append(f"  {e.path}\n", style="cyan")
        out.append(f"  {e.message}\n", style="red")
        if e.expected:
            out.append(f"  expected: {e.expected}\n")
        if e.suggestion:
            out.append(f"  did you mean '{e.suggestion}'?\n", style="green")
    return out
