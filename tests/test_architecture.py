"""The import graph of `conductor`, module by module: no import cycles.

`lint-imports` (`make lint`, contracts in pyproject.toml) keeps the layers (core ← piece ← backends ←
engine ← rehearse | live | train | evaluate | measure ← commands ← cli) and forbids cycles between
sibling packages and modules at every level. This test looks at single modules across packages too.
The training area's own circle (train.data ↔ train.roledata, through a lazy import) is its to undo.
"""

from __future__ import annotations

from collections.abc import Iterator

import grimp

TRAINING = "conductor.train"


def cycles(graph: grimp.ImportGraph) -> Iterator[set[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        yield component
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])


def test_no_module_imports_itself_through_others() -> None:
    graph = grimp.build_graph("conductor", cache_dir=None)
    found = [sorted(c) for c in cycles(graph) if not all(m.startswith(TRAINING + ".") for m in c)]
    assert found == []


def test_the_cycle_finder_finds_cycles() -> None:
    class Graph:
        def __init__(self) -> None:
            self.edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
            self.modules = set(self.edges)

        def find_modules_directly_imported_by(self, module: str) -> set[str]:
            return self.edges[module]

    assert [sorted(c) for c in cycles(Graph())] == [["a", "b", "c"]]  # type: ignore[arg-type]
