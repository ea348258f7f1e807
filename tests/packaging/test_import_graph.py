"""No import circles in emulator (the guide's layering rule): each module's imports, read as
text wherever they stand (inside functions and TYPE_CHECKING blocks too, since a hidden import
still ties the two modules together), form a graph that graphlib can order."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "emulator"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(node: ast.Import | ast.ImportFrom, here: str, is_package: bool) -> list[str]:
    """Every dotted name an import statement may mean (a module, or a name in one)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = here.split(".") if is_package else here.split(".")[:-1]
        parts = parts[: len(parts) - node.level + 1]
        base = ".".join([*parts, *([node.module] if node.module else [])])
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def import_graph() -> dict[str, set[str]]:
    files = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for dotted in imported(node, name, path.name == "__init__.py"):
                target = dotted
                while target and target not in files:
                    target = target.rpartition(".")[0]
                # a package's modules may import its own face (`from emulator.x import y`)
                if target and target != name and not name.startswith(f"{target}."):
                    graph[name].add(target)
    return graph


def test_emulator_has_no_import_circle() -> None:
    graph = import_graph()
    assert len(graph) > 100  # the whole package was read
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        raise AssertionError(f"an import circle: {' -> '.join(exc.args[1])}") from None
