"""The package's imports point one way: _args <- autograd <- ops <- Tensor <- nn, optim, data."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ndgrad"
# What each layer may not import, as module-name prefixes.
FORBIDDEN = {
    "_args.py": ("ndgrad._tensor", "ndgrad._creation", "ndgrad.ops", "ndgrad.autograd",
                 "ndgrad.nn"),
    "autograd": ("ndgrad.nn", "ndgrad.optim", "ndgrad.utils"),
    "ops": ("ndgrad.nn", "ndgrad.optim", "ndgrad.utils"),
    "nn": ("ndgrad.optim", "ndgrad.utils.data"),
}


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) for every import statement in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
    return found


def _files(layer: str) -> list[Path]:
    root = PACKAGE / layer
    return [root] if root.is_file() else sorted(root.rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_does_not_import_upwards(layer):
    offending = [f"{path.relative_to(PACKAGE)}: {module}"
                 for path in _files(layer) for module, _ in _imports(path)
                 if module.startswith(FORBIDDEN[layer])]
    assert not offending, f"{layer} imports a layer above it: {offending}"


def test_no_module_reaches_into_tensor_for_private_helpers():
    """Argument helpers live in _args.py; _tensor.py exports only Tensor and Size."""
    offending = [f"{path.relative_to(PACKAGE)}: {name}"
                 for path in PACKAGE.rglob("*.py") if path.name != "_tensor.py"
                 for module, names in _imports(path) if module == "ndgrad._tensor"
                 for name in names if name not in ("Tensor", "Size")]
    assert not offending, f"private names imported from ndgrad._tensor: {offending}"
