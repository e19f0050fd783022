"""Every import points down the layers of docs/architecture.md: no module imports one of a higher layer.

Each module of the package is read (not run) and every import in it, at the top or inside a
function, is checked against the layer table below; a new module must be given its layer here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "gradcli"

#: The layers, lowest first (docs/architecture.md). A module may import its own layer and those below.
LAYERS = {
    "base": ["ops", "errors", "suggest", "fmt", "collector", "interrupts", "cache", "output", "source",
             "jsonnumbers", "raster", "wasmcache"],
    "core": ["graph", "parser", "autodiff", "symbolic", "printing", "value", "nn", "engine"],
    "models": [
        "program", "descent", "derivation", "gradcheck", "torchcheck", "datasets", "training", "batch",
        "batchjob", "datafile", "sampling", "audit", "formulas", "hessian", "adjoint",
    ],
    "views": ["views", "render", "walkpage"],
    "commands": ["commands"],
    "cli": ["cli", "__main__", "__init__"],
}  # fmt: skip
RANK = {module: rank for rank, modules in enumerate(LAYERS.values()) for module in modules}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def top(path: Path) -> str:
    """The layer-table name of a file: its first part below the package (`views/dot.py` is `views`)."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def imported(path: Path) -> set[str]:
    """The gradcli modules `path` imports, by their first part below the package."""
    return names_imported(path.read_text(encoding="utf-8"), path.relative_to(PACKAGE).parent.parts)


def names_imported(source: str, package: tuple[str, ...]) -> set[str]:
    """The gradcli modules imported by `source`, a file of the folder `package` below gradcli."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name.split(".") for alias in node.names if alias.name.split(".")[0] == "gradcli"]
            found |= {name[1] if len(name) > 1 else "__init__" for name in names}
        elif isinstance(node, ast.ImportFrom):
            module = (node.module or "").split(".") if node.module else []
            if node.level:  # relative: from the file's own folder, `level - 1` folders up
                parts = list(package[: len(package) - (node.level - 1)]) + module
            elif module[:1] == ["gradcli"]:
                parts = module[1:]
            else:
                continue
            if parts:
                found.add(parts[0])
            else:  # `from . import x` in the package's own folder: each name is a module
                found |= {alias.name for alias in node.names}
    return found


def test_every_module_has_a_layer():
    assert sorted({top(path) for path in modules()} - set(RANK)) == []


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_import_points_down(path):
    here = top(path)
    upward = sorted(name for name in imported(path) - {here} if RANK.get(name, -1) > RANK[here])
    assert upward == [], f"{path.relative_to(PACKAGE)} ({here}) imports from a higher layer: {upward}"


def test_the_check_sees_an_import_up():
    """The reading of imports finds what a bad import would name (so the check above can fail)."""
    planted = "from .views.dot import digraph\nimport gradcli.commands._toolkit\n\ndef f():\n    from . import cli\n"
    assert names_imported(planted, ()) == {"views", "commands", "cli"}
    assert names_imported("from ..autodiff import compiled\nfrom . import table\n", ("views",)) == {"autodiff", "views"}
    assert "views" not in imported(PACKAGE / "autodiff.py")
