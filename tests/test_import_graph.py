"""No import cycles among the modules of the ``tracer`` package, engine included.

The graph is built from the source with ``ast``, so imports inside functions (the lazy ones that hide a
cycle from a plain ``import``) count as edges too. Imports under ``if TYPE_CHECKING:`` are left out:
they never run. ``from pkg import name`` is an edge to ``pkg.name`` when that is a module, else to ``pkg``.

Run as a script to print the graph's cycles: ``.venv/bin/python tests/test_import_graph.py``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "tracer"


def module_names(root: Path = ROOT, package: str = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of the package (packages under their own name)."""
    out: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(nodes: list[ast.AST]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run, at any depth, skipping the bodies of ``if TYPE_CHECKING:``."""
    for node in nodes:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _runtime_imports(list(node.orelse))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        else:
            yield from _runtime_imports(list(ast.iter_child_nodes(node)))


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` (stored at ``path``) imports."""
    is_package = path.name == "__init__.py"
    here = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for stmt in _runtime_imports([ast.parse(path.read_text(), str(path))]):
        if isinstance(stmt, ast.Import):
            targets = [alias.name for alias in stmt.names]
        else:
            base = stmt.module or ""
            if stmt.level:
                anchor = here.split(".")
                anchor = anchor[: len(anchor) - (stmt.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in stmt.names]
        found.update(t for t in targets if t in modules and t != name)
    return found


def import_graph(root: Path = ROOT, package: str = PACKAGE) -> dict[str, set[str]]:
    modules = module_names(root, package)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module (Tarjan), shortest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph) + 100))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted((_one_cycle(graph, c) for c in components), key=lambda c: (len(c), c))


def _one_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A shortest path from the component's first module back to itself, inside the component."""
    members = set(component)
    start = component[0]
    paths: dict[str, list[str]] = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & members):
                if w == start:
                    return [*paths[v], start]
                if w not in paths:
                    paths[w] = [*paths[v], w]
                    nxt.append(w)
        frontier = nxt
    return component  # unreachable for a strongly connected component


def describe(cycles: list[list[str]]) -> str:
    return "\n".join(" -> ".join(c) for c in cycles)


def test_the_graph_sees_lazy_imports() -> None:
    graph = import_graph()
    assert "tracer.models" in graph and "tracer.engine" in graph
    # tasks imports the runner inside its task body: a lazy import, still an edge.
    assert "tracer.runner" in graph["tracer.tasks"]


def test_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    pkg = tmp_path / "demo"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from demo.a import x\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from demo import a\n")
    graph = import_graph(tmp_path, "demo")
    assert graph["demo.c"] == set()
    assert find_cycles(graph) == [["demo.a", "demo.b", "demo.a"]]


def test_web_modules_have_no_import_cycle() -> None:
    cycles = [c for c in find_cycles(import_graph()) if not all(m.startswith("tracer.engine") for m in c)]
    assert not cycles, f"import cycles:\n{describe(cycles)}"


def test_engine_has_no_import_cycle() -> None:
    cycles = [c for c in find_cycles(import_graph()) if all(m.startswith("tracer.engine") for m in c)]
    assert not cycles, f"import cycles in tracer.engine:\n{describe(cycles)}"


if __name__ == "__main__":
    found = find_cycles(import_graph())
    print(describe(found) or "no import cycles")
    sys.exit(1 if found else 0)
