"""What compiling needs at hand: the document (for positions), the tempo, and the errors found so far."""

from __future__ import annotations

from dataclasses import dataclass, field

from conductor.core.timebase import Span, Unit
from conductor.piece.durations import SpanKind, parse_span
from conductor.piece.errors import KeyPath, PieceError, format_path
from conductor.piece.yamlnodes import Document


@dataclass
class Context:
    """Collects errors with positions; reads spans, refusing bars/beats when the piece has no tempo."""

    doc: Document
    file: str | None
    has_tempo: bool
    errors: list[PieceError] = field(default_factory=list)

    def error(
        self, path: KeyPath, message: str, expected: str | None = None, suggestion: str | None = None
    ) -> None:
        """Record an error at the value written at `path` (or its nearest written ancestor)."""
        pos = self.doc.positions.value(path)
        shown = format_path(tuple(p for p in path if not (isinstance(p, str) and p.startswith("~"))))
        self.errors.append(PieceError(self.file, pos.line, pos.column, shown, message, expected, suggestion))

    def span(self, text: str | None, kind: SpanKind, where: KeyPath, what: str) -> Span | None:
        """Parse an (already validated) duration; a bar/beat span without a tempo is an error at `where`."""
        if text is None:
            return None
        span = parse_span(text, kind)
        if span is not None and span.unit in (Unit.BARS, Unit.BEATS) and not self.has_tempo:
            self.error(
                where,
                f"{what} '{text}' counts {span.unit.value}, but the piece has no tempo",
                "a 'tempo:' line at the top (beats per minute), or this time in seconds",
            )
        return span
