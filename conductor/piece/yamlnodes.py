"""Read YAML into plain data while keeping the line and column of every key path.

The node tree is composed with `PieceLoader` (PyYAML's `SafeLoader`, the same safety as
`yaml.safe_load`: no Python objects, plus limits on nesting and aliases), then walked by hand so that
every value and every key keeps its position, so that a key written twice in one mapping is an error
instead of silently winning, and so that keys stay as written (`on:` and `true:` are the words `on`
and `true`, not booleans).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from conductor.piece.errors import KeyPath, PieceError, format_path
from conductor.piece.limits import MAX_ALIAS_NODES, MAX_NODES
from conductor.piece.yamlloader import DEPTH_EXPECTED, DEPTH_PROBLEM, NON_PRINTABLE, LimitError, PieceLoader

_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


@dataclass(frozen=True, slots=True)
class Pos:
    """A 1-based line and column."""

    line: int
    column: int


def _pos(node: yaml.Node) -> Pos:
    return Pos(node.start_mark.line + 1, node.start_mark.column + 1)


@dataclass
class Positions:
    """Where each key path's value (and key) was written."""

    values: dict[KeyPath, Pos] = field(default_factory=dict)
    keys: dict[KeyPath, Pos] = field(default_factory=dict)

    def value(self, path: KeyPath) -> Pos:
        """Position of the value at `path`, or of its nearest written ancestor."""
        for cut in range(len(path), -1, -1):
            found = self.values.get(tuple(path[:cut]))
            if found is not None:
                return found
        return Pos(1, 1)

    def key(self, path: KeyPath) -> Pos:
        """Position of the key of `path` (a mapping key), else of its value."""
        return self.keys.get(tuple(path)) or self.value(path)


@dataclass
class Document:
    """A parsed piece file: plain data, positions, and problems found while reading (duplicate keys)."""

    data: Any
    positions: Positions
    problems: list[PieceError]


class _Walker:
    def __init__(self, loader: PieceLoader, file: str | None) -> None:
        self.loader = loader
        self.file = file
        self.positions = Positions()
        self.problems: list[PieceError] = []
        self.active: set[int] = set()
        self.walked = 0

    def walk(self, node: yaml.Node, path: KeyPath) -> Any:
        self.walked += 1
        if self.walked > MAX_NODES + MAX_ALIAS_NODES:  # the loader's counts keep below: defence in depth
            raise LimitError(node.start_mark, f"the piece holds more than {self.walked - 1:,} values",
                             "a piece of at most about 10,000 sections")  # fmt: skip
        self.positions.values[path] = _pos(node)
        if id(node) in self.active:  # a recursive alias (&a ... *a inside itself)
            self._problem(node, path, "an alias refers to itself", None)
            return None
        self.active.add(id(node))
        try:
            if node.tag not in (_MAP, _SEQ):  # scalars, and tagged collections (refused if unsafe)
                return self.loader.construct_object(node, deep=True)
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return [self.walk(item, (*path, i)) for i, item in enumerate(node.value)]
            return self.loader.construct_object(node, deep=True)
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[Any, Any]:
        merged = self.loader.flatten_mapping(node)  # pairs from `<<: *name` first; the written ones win
        out: dict[Any, Any] = {}
        written: set[str] = set()
        for i, (key_node, value_node) in enumerate(node.value):
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(key_node, path, "a key must be a plain word", "a name such as 'tempo'")
                continue
            key = key_node.value  # as written: `true:` is the word 'true', `1:` the word '1'
            sub = (*path, key)
            if key in written:
                first = self.positions.keys[sub].line
                self._problem(key_node, sub, f"'{key}' is written twice (first on line {first})", None)
                continue
            if i >= merged:
                written.add(key)
            self.positions.keys[sub] = _pos(key_node)
            out[key] = self.walk(value_node, sub)
        return out

    def _problem(self, node: yaml.Node, path: KeyPath, message: str, expected: str | None) -> None:
        pos = _pos(node)
        self.problems.append(
            PieceError(self.file, pos.line, pos.column, format_path(path), message, expected)
        )


def _line_of(text: str, line: int) -> str:
    """Line `line` (1-based) of `text`, or '' past its end."""
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return ""
    end = text.find("\n", start)
    return text[start:] if end < 0 else text[start:end]


def text_position(text: str, index: int) -> Pos:
    """The 1-based line and column of character `index` of `text`."""
    line_start = text.rfind("\n", 0, index) + 1
    return Pos(text.count("\n", 0, index) + 1, index - line_start + 1)


def _reader_error(exc: yaml.reader.ReaderError, file: str | None, text: str) -> PieceError:
    pos = text_position(text, exc.position)
    what = "a NUL byte" if exc.character == 0 else f"the control character #x{exc.character:04x}"
    return PieceError(file, pos.line, pos.column, "(file)", f"{what} is not allowed in a piece",
                      "plain text (was a binary file saved over the piece?)")  # fmt: skip


def syntax_error(exc: yaml.YAMLError, file: str | None, text: str = "") -> PieceError:
    """A YAML syntax error (or a passed limit) as a `PieceError`, with a hint for the usual mistakes."""
    if isinstance(exc, yaml.reader.ReaderError) and isinstance(exc.character, int):
        return _reader_error(exc, file, text)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    if isinstance(exc, LimitError):
        return PieceError(file, line, column, "(limit)", exc.problem, exc.expected)
    problem = getattr(exc, "problem", None) or str(exc)
    if "maximum nesting depth" in problem:  # libyaml's own limit (1000), met while it looks ahead
        return PieceError(file, line, column, "(limit)", DEPTH_PROBLEM, DEPTH_EXPECTED)
    context = getattr(exc, "context", None)
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    expected = None
    text_line = _line_of(text, line)
    if "\\t" in problem or "'\\t'" in message or "\t" in text_line[: max(column, 1)]:
        expected = "indentation with spaces, not tabs"
    elif "mapping values are not allowed" in problem:
        expected = "a space after each ':' and one 'key: value' per line; quote values containing ': '"
    return PieceError(file, line, column, "(syntax)", message, expected)


def read_document(text: str, file: str | None = None) -> Document:
    """Parse `text` into a `Document`. Raises `yaml.YAMLError` on a syntax error or a passed limit."""
    bad = NON_PRINTABLE.search(text)
    if bad is not None:  # found here, by character: libyaml would count bytes
        raise yaml.reader.ReaderError(file or "<text>", bad.start(), ord(bad.group()), "utf-8", "unprintable")
    loader = PieceLoader(text)
    walker = _Walker(loader, file)
    try:
        root = loader.get_single_node()
        data = walker.walk(root, ()) if root is not None else None
    finally:
        loader.dispose()
    return Document(data, walker.positions, walker.problems)
