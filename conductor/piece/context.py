"""What compiling needs at hand: the document (for positions), the tempo, and the errors found so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conductor.core.timebase import Span, Timebase, Unit
from conductor.piece.durations import SpanKind, parse_span
from conductor.piece.errors import KeyPath, PieceError, format_path
from conductor.piece.fieldtypes import FORM_TAGS
from conductor.piece.limits import MAX_NOTES, MAX_SECONDS, MIN_TIME_S
from conductor.piece.yamlnodes import Document


@dataclass
class Context:
    """Collects errors with positions; reads spans, refusing bars/beats when the piece has no tempo and
    times out of bounds (a length shorter than one beat, anything longer than `MAX_SECONDS`)."""

    doc: Document
    file: str | None
    has_tempo: bool
    errors: list[PieceError] = field(default_factory=list)
    timebase: Timebase = field(default_factory=Timebase)  # the piece's (120 bpm, 4/4 when not written)

    def error(
        self, path: KeyPath, message: str, expected: str | None = None, suggestion: str | None = None
    ) -> None:
        """Record an error at the value written at `path` (or its nearest written ancestor)."""
        pos = self.doc.positions.value(path)
        shown = format_path(tuple(p for p in path if p not in FORM_TAGS))
        self.errors.append(PieceError(self.file, pos.line, pos.column, shown, message, expected, suggestion))

    def span(
        self, text: str | None, kind: SpanKind, where: KeyPath, what: str, min_s: float | None = None
    ) -> Span | None:
        """Parse an (already validated) duration; a bar/beat span without a tempo, or one out of bounds
        (shorter than `min_s`: by default one beat for a length, `MIN_TIME_S` otherwise), is an error."""
        if text is None:
            return None
        span = parse_span(text, kind)
        if span is not None and span.unit in (Unit.BARS, Unit.BEATS) and not self.has_tempo:
            self.error(
                where,
                f"{what} '{text}' counts {span.unit.value}, but the piece has no tempo",
                "a 'tempo:' line at the top (beats per minute), or this time in seconds",
            )
        elif span is not None:
            self._bounds(span, text, kind, where, what, min_s)
        return span

    def _bounds(
        self, span: Span, text: str, kind: SpanKind, where: KeyPath, what: str, min_s: float | None
    ) -> None:
        if span.unit is Unit.NOTES:
            if span.amount > MAX_NOTES:
                self.error(where, f"{what} '{text}' is more than {MAX_NOTES} notes", f"1..{MAX_NOTES} notes")
            return
        seconds, tb = span.seconds(self.timebase), self.timebase
        if seconds > MAX_SECONDS:
            self.error(where, f"{what} '{text}' is {seconds / 3600:.3g} hours long",
                       f"at most {MAX_SECONDS / 3600:g} hours")  # fmt: skip
        elif kind is SpanKind.LENGTH and min_s is None and seconds < tb.seconds_per_beat - 1e-9:
            beat = f"one beat ({tb.seconds_per_beat:.3g} s at {tb.bpm:g} bpm)"
            self.error(where, f"{what} '{text}' is shorter than {beat}",
                       "a section of at least 1 beat (it lasts to the next bar line anyway)")  # fmt: skip
        elif seconds < (min_s or MIN_TIME_S) - 1e-9:
            low = min_s or MIN_TIME_S
            self.error(
                where, f"{what} '{text}' is shorter than {low * 1000:g} ms", f"at least {low * 1000:g} ms"
            )


def written(**values: Any) -> dict[str, Any]:
    """The settings that were written (None: not written), as keyword arguments for a compiled spec:
    the others take their defaults from the spec's fields (`conductor.piece.compiled`)."""
    return {name: value for name, value in values.items() if value is not None}
