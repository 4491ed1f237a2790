"""Checks across the piece that read the plain data, so they run even when the schema found errors:
duplicate section names, `goto` to a missing section, one footswitch message mapped twice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from conductor.piece.errors import KeyPath, PieceError, did_you_mean, format_path
from conductor.piece.yamlnodes import Document


def _items(data: Any, key: str) -> list[tuple[int, dict[str, Any]]]:
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)]


class _Checker:
    def __init__(self, doc: Document, file: str | None) -> None:
        self.doc, self.file = doc, file
        self.errors: list[PieceError] = []

    def error(
        self, path: KeyPath, message: str, expected: str | None = None, hint: str | None = None
    ) -> None:
        pos = self.doc.positions.value(path)
        self.errors.append(
            PieceError(self.file, pos.line, pos.column, format_path(path), message, expected, hint)
        )

    def section_names(self) -> list[str]:
        names: dict[str, int] = {}
        for i, section in _items(self.doc.data, "sections"):
            name = section.get("name")
            if not isinstance(name, str):
                continue
            if name in names:
                line = self.doc.positions.value(("sections", names[name], "name")).line
                self.error(("sections", i, "name"), f"two sections are called '{name}' (also on line {line})",
                           "a unique name per section")  # fmt: skip
            else:
                names[name] = i
        return list(names)

    def gotos(self) -> Iterator[tuple[KeyPath, Any]]:
        for i, section in _items(self.doc.data, "sections"):
            then = section.get("then")
            if isinstance(then, dict) and "goto" in then:
                yield ("sections", i, "then", "goto"), then["goto"]
        for i, control in _items(self.doc.data, "controls"):
            action = control.get("action")
            if isinstance(action, dict) and "goto" in action:
                yield ("controls", i, "action", "goto"), action["goto"]

    def targets(self, names: list[str]) -> None:
        for path, target in self.gotos():
            if isinstance(target, str) and target not in names:
                self.error(path, f"there is no section called '{target}'",
                           f"one of {', '.join(names)}" if names else "a section name",
                           did_you_mean(target, names))  # fmt: skip

    def messages(self) -> None:
        seen: dict[tuple[str, int | str], tuple[KeyPath, Any]] = {}
        for kind, path, item in self._triggers():
            number, channel = item[kind], item.get("channel")
            first = seen.get((kind, number))
            if first is None:
                seen[(kind, number)] = (path, channel)
            elif first[1] is None or channel is None or first[1] == channel:
                line = self.doc.positions.value(first[0]).line
                self.error((*path, kind), f"{kind} {number} is already mapped on line {line}",
                           "one action or parameter per message")  # fmt: skip

    def _triggers(self) -> Iterator[tuple[str, KeyPath, dict[str, Any]]]:
        for i, control in _items(self.doc.data, "controls"):
            for kind in ("cc", "note", "program"):
                if isinstance(control.get(kind), int) and not isinstance(control.get(kind), bool):
                    yield kind, ("controls", i), control
            if isinstance(control.get("osc"), str):
                yield "osc", ("controls", i), control
        for i, param in _items(self.doc.data, "params"):
            if isinstance(param.get("cc"), int):
                yield "cc", ("params", i), param
            if isinstance(param.get("osc"), str):
                yield "osc", ("params", i), param


def cross_check(doc: Document, file: str | None) -> list[PieceError]:
    """Every cross-reference error in the plain data of `doc`."""
    checker = _Checker(doc, file)
    names = checker.section_names()
    checker.targets(names)
    checker.messages()
    return checker.errors
