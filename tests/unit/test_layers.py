"""The package's layers: each imports only the layers before it, so the import graph has no
circles and the shipped package never reaches into the simulator or the tests."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "pipelines"
LAYERS = [
    {"common"}, {"instantly", "campaign_cleaner", "engine"}, {"outputs"}, {"console"}, {"flow"}, {"commands", "__main__"},
]
"""From the bottom up: shared helpers (with what a source gives the engine); the sources and the
run engine side by side, neither importing the other; what is made from a loaded warehouse;
the words of a run; the one run; the front doors."""


def layer_of(part: str) -> int:
    return next(n for n, names in enumerate(LAYERS) if part in names)


def imports(path: Path):
    """(the imported top-level module, the imported `pipelines` part or None) of each import."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] if node.module != "pipelines" else [f"pipelines.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            yield parts[0], parts[1] if parts[0] == "pipelines" and len(parts) > 1 else None


def package_imports():
    """(the importing file, its part, the `pipelines` part it imports) of each import of a part."""
    for path in PACKAGE.rglob("*.py"):
        part = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        if part == "__init__":
            continue
        for _, imported in imports(path):
            if imported is not None:
                yield path.relative_to(PACKAGE), part, imported


def test_each_layer_imports_only_the_layers_before_it():
    upward = [f"{path} imports pipelines.{imported}" for path, part, imported in package_imports()
              if layer_of(imported) > layer_of(part)]
    assert upward == []


def test_the_sources_and_the_engine_never_import_one_another():
    across = [f"{path} imports pipelines.{imported}" for path, part, imported in package_imports()
              if imported != part and layer_of(imported) == layer_of(part) == 1]
    assert across == []


def test_the_package_never_imports_the_simulator_or_the_tests():
    reaching = [
        str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
        for top, _ in imports(path) if top in ("simulator", "tests", "helpers")
    ]
    assert reaching == []
