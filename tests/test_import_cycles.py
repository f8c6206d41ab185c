"""No import cycles between the modules of ``machtigen/`` and ``api/``.

Every module is parsed with ``ast``; each ``import`` and ``from ... import`` in it counts, at
module level or inside a function (a function-level import is a cycle postponed, not removed).
Only imports under ``if TYPE_CHECKING:`` are left out: they never run.

``from a.b import c`` is an edge to the module ``a.b.c`` when there is one, and to ``a.b``
only when a name is taken from ``a/b/__init__.py`` itself. The packages Python runs on the
way to a module (``a`` and ``a.b`` for ``import a.b.c``) are no edges: a package whose
``__init__`` gathers its own submodules (the portal's routers) is Python's ordinary layout,
not a cycle.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("machtigen", "api")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in the tree, at any depth, except those only a type checker runs."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]))
        else:
            yield from _imports(node)


def _targets(
    module: str, is_package: bool, node: ast.Import | ast.ImportFrom, known: set[str]
) -> set[str]:
    """The modules of ours that running this import statement runs."""
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            anchor = package[: len(package) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        submodules = [f"{base}.{alias.name}" for alias in node.names]
        names = [name for name in submodules if name in known]
        if len(names) < len(submodules):
            names.append(base)
    targets = set()
    for name in names:
        parts = name.split(".")
        while parts and ".".join(parts) not in known:
            parts.pop()
        if parts:
            targets.add(".".join(parts))
    targets.discard(module)
    return targets


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        graph[module] = set()
        for node in _imports(tree):
            graph[module] |= _targets(module, is_package, node, known)
    return graph


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively: the groups of modules that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def _a_cycle(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """One shortest cycle through the group's first module, for the failure message."""
    members = set(group)
    start = group[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & members):
            if child == start:
                return [*paths[node], start]
            if child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    raise AssertionError(f"no cycle through {start}")


def test_the_graph_sees_both_kinds_of_import():
    """The parser itself: a module-level and a function-level import are both edges, a
    TYPE_CHECKING one is not."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "import a.b\n"
        "if TYPE_CHECKING:\n    from a import c\n"
        "def f():\n    from .d import e\n"
    )
    known = {"a", "a.b", "a.c", "a.d", "a.d.e", "a.x"}
    edges: set[str] = set()
    for node in _imports(ast.parse(source)):
        edges |= _targets("a.x", False, node, known)
    assert edges == {"a.b", "a.d.e"}
    taken_from_init = ast.parse("from a import b, name_in_init\n").body[0]
    assert isinstance(taken_from_init, ast.ImportFrom)
    assert _targets("a.x", False, taken_from_init, known) == {"a", "a.b"}
    assert _strongly_connected({"p": {"q"}, "q": {"r"}, "r": {"p"}, "s": {"p"}}) == [
        ["p", "q", "r"]
    ]


def test_no_import_cycles():
    graph = import_graph()
    assert len(graph) > 100, "the modules of machtigen/ and api/ were not found"
    cycles = [" -> ".join(_a_cycle(graph, group)) for group in _strongly_connected(graph)]
    assert not cycles, "import cycles:\n" + "\n".join(cycles)
