"""PyYAML's `SafeLoader` with limits, and numbers read the way a musician writes them.

The text is scanned and parsed by libyaml when PyYAML has it (five times faster on a large piece),
else by PyYAML's own parser; either way the nodes are composed here, in Python, so that:

- More than `MAX_NODES` keys and values are refused as they are composed (each costs time and
  memory, however small the file), and so is nesting deeper than `MAX_DEPTH` (the composer
  recurses: a deep file would otherwise end in RecursionError).
- Aliases are counted as they are composed: each `*name` adds the size of what it names, and more
  than `MAX_ALIAS_NODES` in all is refused at that alias's line — a "billion laughs" file is refused
  in linear time, before anything is expanded.
- `1e3` and `1.5e308` are numbers (YAML 1.2), not the text PyYAML's YAML 1.1 rules make of them.
- An integer longer than `MAX_NUMBER_DIGITS` digits is read as infinity (Python refuses to convert
  one of more than 4300 digits); the schema reports it as out of range.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from conductor.piece.limits import MAX_ALIAS_NODES, MAX_DEPTH, MAX_NODES, MAX_NUMBER_DIGITS

NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE  # characters YAML refuses (NUL, other controls)
DEPTH_PROBLEM = f"the YAML is nested more than {MAX_DEPTH} levels deep"
DEPTH_EXPECTED = "a piece a few levels deep (sections, filters, settings)"


def _base() -> type:
    """libyaml's parser under PyYAML's Python composer, or PyYAML's `SafeLoader` without libyaml."""
    try:
        from yaml.cyaml import CParser  # type: ignore[attr-defined]
    except ImportError:
        return yaml.SafeLoader

    class CSafeComposer(Composer, CParser, SafeConstructor, Resolver):  # Composer first: ours composes
        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    return CSafeComposer


_Base: Any = _base()


class LimitError(yaml.YAMLError):
    """A limit of `conductor.piece.limits` was passed at `problem_mark` (raised while composing)."""

    def __init__(self, mark: Any, problem: str, expected: str) -> None:
        super().__init__(problem)
        self.problem_mark = mark
        self.problem = problem
        self.expected = expected


class PieceLoader(_Base):
    """A `SafeLoader` for one piece text (see the module docstring). Not thread-safe: one per text."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0
        self._open: set[str] = set()  # anchors whose node is being composed (an alias to one recurses)
        self._sizes: dict[int, int] = {}
        self._merged: dict[int, int] = {}
        self.alias_nodes = 0
        self.nodes = 0

    def flatten_mapping(self, node: yaml.MappingNode) -> int:
        """Merge `<<: *name` pairs into `node` (first, so written keys win); returns how many pairs
        came from merges. Idempotent: a node reached again through an alias keeps its count."""
        if id(node) not in self._merged:
            written = sum(1 for key, _ in node.value if key.tag != "tag:yaml.org,2002:merge")
            super().flatten_mapping(node)
            self._merged[id(node)] = len(node.value) - written
        return self._merged[id(node)]

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self._count_alias(event)
            return super().compose_node(parent, index)
        anchor = getattr(event, "anchor", None)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise LimitError(event.start_mark, f"the piece holds more than {MAX_NODES:,} keys and values",
                             "a piece of at most about 10,000 sections")  # fmt: skip
        self._depth += 1
        if anchor is not None:
            self._open.add(anchor)
        try:
            if self._depth > MAX_DEPTH:
                raise LimitError(event.start_mark, DEPTH_PROBLEM, DEPTH_EXPECTED)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open.discard(anchor or "")

    def _count_alias(self, event: yaml.AliasEvent) -> None:
        node = self.anchors.get(event.anchor or "")
        if node is None or event.anchor in self._open:
            return  # undefined (PyYAML reports it) or recursive (the walker reports it)
        self.alias_nodes += self._size(node, set())
        if self.alias_nodes > MAX_ALIAS_NODES:
            message = f"aliases expand to more than {MAX_ALIAS_NODES:,} values ('*{event.anchor}' here)"
            raise LimitError(event.start_mark, message, "aliases that repeat a few settings, not nested ones")

    def _size(self, node: yaml.Node, visiting: set[int]) -> int:
        """Values in `node`, counting shared nodes each time they appear (what walking it visits)."""
        known = self._sizes.get(id(node))
        if known is not None:
            return known
        if id(node) in visiting or isinstance(node, yaml.ScalarNode):
            return 1
        visiting.add(id(node))
        children: list[yaml.Node] = (
            [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else node.value
        )
        total = 1
        for child in children:
            total += self._size(child, visiting)
            if total > MAX_ALIAS_NODES:
                break  # enough to refuse; no need to count on
        visiting.discard(id(node))
        self._sizes[id(node)] = total
        return total

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        """An integer, or ±infinity for one longer than `MAX_NUMBER_DIGITS` digits."""
        digits = node.value.lstrip("+-").replace("_", "")
        if len(digits) > MAX_NUMBER_DIGITS:
            return float("-inf") if node.value.startswith("-") else float("inf")
        return super().construct_yaml_int(node)


_FLOAT_12 = re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")
PieceLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12, list("-+0123456789"))
PieceLoader.add_constructor("tag:yaml.org,2002:int", PieceLoader.construct_yaml_int)
