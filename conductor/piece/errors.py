"""Errors a musician can act on: where (file:line:col and key path), what is wrong, what was expected."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from conductor.core.errors import ConductorError

PathPart = str | int
KeyPath = tuple[PathPart, ...]


def format_path(path: Sequence[PathPart]) -> str:
    """`('sections', 2, 'filters', 0, 'chords')` → `sections[2].filters[0].chords`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def did_you_mean(word: object, choices: Iterable[str]) -> str | None:
    """The closest of `choices` to `word`, if one is close enough (difflib), else None."""
    if not isinstance(word, str):
        return None
    options = list(choices)
    lowered = {c.lower(): c for c in options}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return lowered[word.lower()]
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not match:
        match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
        return lowered[match[0]] if match else None
    return match[0]


@dataclass(frozen=True, slots=True)
class PieceError:
    """One problem in a piece file. Lines and columns are 1-based (0 when unknown)."""

    file: str | None
    line: int
    column: int
    path: str
    message: str
    expected: str | None = None
    suggestion: str | None = None

    @property
    def where(self) -> str:
        """`file:line:col`, or `file` for the whole file (the file is `<text>` for a piece given as text)."""
        file = self.file or "<text>"
        return f"{file}:{self.line}:{self.column}" if self.line else file

    def __str__(self) -> str:
        text = f"{self.where}: {self.path}: {self.message}"
        if self.expected:
            text += f" (expected {self.expected})"
        if self.suggestion:
            text += f" — did you mean '{self.suggestion}'?"
        return text


class PieceErrors(ConductorError):
    """Raised by `load_piece`/`load_piece_text` and the parser process (`conductor.piece.parser`): every
    error found in a piece, in file order."""

    def __init__(self, errors: Iterable[PieceError]) -> None:
        unique = dict.fromkeys(errors)
        self.errors: list[PieceError] = sorted(unique, key=lambda e: (e.line, e.column, e.path))
        super().__init__(str(self))

    def __str__(self) -> str:
        count = len(self.errors)
        head = f"{count} error{'s' if count != 1 else ''} in piece"
        return "\n".join([head, *(f"  {e}" for e in self.errors)])
