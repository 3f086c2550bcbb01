"""The package's shape (docs/DESIGN.md): pure cores at the top that import nothing of
the wiring, and no import cycles — counting imports inside functions and under
TYPE_CHECKING, apart from a package's `__init__` naming its parts."""

from __future__ import annotations

import ast
import pathlib

import miniswarm

ROOT = pathlib.Path(miniswarm.__file__).parent

# The hearts, each readable and testable alone: what they may import of miniswarm.
PURE = {
    "miniswarm.raft": set(),
    "miniswarm.scheduler": {"miniswarm.constraint", "miniswarm.taskstate"},
    "miniswarm.services": {
        "miniswarm.constraint",
        "miniswarm.specs",
        "miniswarm.taskstate",
        "miniswarm.gocompat",
    },
    "miniswarm.shlang": set(),
}


def modules() -> dict[str, tuple[pathlib.Path, bool]]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = ["miniswarm", *path.relative_to(ROOT).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the miniswarm modules it imports, wherever the import statement is."""
    mods = modules()
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in mods.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = name.split(".") if is_package else name.split(".")[:-1]
                if node.level:
                    base = base[: len(base) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                for a in node.names:
                    sub = f"{module}.{a.name}"
                    targets.append(sub if sub in mods else module)
            for target in targets:
                while target not in mods and "." in target:
                    target = target.rsplit(".", 1)[0]
                if target not in mods or target == name:
                    continue
                if is_package and target.startswith(name + "."):
                    continue  # a package's __init__ naming its parts
                deps.add(target)
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            v, children = work[-1]
            w = next(children, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.add(w)
                    if w == v:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def closure(graph: dict[str, set[str]], name: str) -> set[str]:
    seen, todo = set(), [name]
    while todo:
        for dep in graph[todo.pop()]:
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def test_the_pure_cores_import_nothing_of_the_wiring():
    graph = import_graph()
    for core, allowed in PURE.items():
        assert closure(graph, core) <= allowed, f"{core} imports {closure(graph, core) - allowed}"


def test_no_import_cycle():
    """The parts that must reach back to their owner (a manager to its daemon, a worker to
    its agent, a shell's command to the shell) do it through a protocol of what they
    need, declared beside them."""
    assert cycles(import_graph()) == []


def test_the_graph_sees_imports_in_functions_and_under_type_checking():
    graph = import_graph()
    assert "miniswarm.views" in graph["miniswarm.labcmd"]  # inside a function
    assert "miniswarm.lab" in graph["miniswarm.completion"]  # under TYPE_CHECKING
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
