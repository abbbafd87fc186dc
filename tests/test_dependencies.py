"""cnncalc imports at run time only the standard library and its declared dependencies: the
test extras install more (hypothesis brings typing_extensions), so an import that only they
satisfy would pass every other test and fail for a user who ran `pip install .`."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cnncalc"
DECLARED = {"click", "yaml", "tabulate", "numpy"}   # pyproject's dependencies, by module name
OPTIONAL = {"onnx", "onnxruntime", "matplotlib"}    # extras, each imported by its command only


def _runtime_imports(tree: ast.AST) -> set[str]:
    """Top-level module names imported outside `if TYPE_CHECKING:` blocks and outside a
    `try:` that catches ImportError (an optional module, e.g. tomli on Python 3.10)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Try) and any(
                handler.type is not None and "ImportError" in ast.unparse(handler.type)
                for handler in node.handlers):
            for child in (*node.handlers, *node.orelse, *node.finalbody):
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        for child in ast.iter_child_nodes(node):
            visit(child)
    visit(tree)
    return found


def test_only_the_standard_library_and_declared_dependencies_are_imported() -> None:
    allowed = set(sys.stdlib_module_names) | DECLARED | OPTIONAL | {"cnncalc"}
    strays = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        extra = _runtime_imports(ast.parse(path.read_text())) - allowed
        if extra:
            strays[str(path.relative_to(PACKAGE))] = sorted(extra)
    assert not strays, f"imports no runtime dependency provides: {strays}"


def test_the_check_sees_an_undeclared_import() -> None:
    tree = ast.parse("from typing_extensions import Self\nif TYPE_CHECKING:\n    import onnx2\n"
                     "try:\n    import tomli\nexcept ImportError:\n    tomli = None\n")
    assert _runtime_imports(tree) == {"typing_extensions"}
