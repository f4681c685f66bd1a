"""The layout's rules, checked on the source (issue 34): no module imports a private name of another, no module
over 450 lines, no function over 60. The stage order is import-linter's contract
(pyproject.toml [tool.importlinter], run by scripts/test.sh)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "auditor"
LONG_ALLOWED: set[tuple[str, str]] = set()  # none: sandbox/driver.py's main is split like the rest

pytestmark = pytest.mark.unit


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text(), str(path)), path.read_text().count("\n")


def test_no_module_imports_a_private_name_of_another():
    found = [f"{rel}:{node.lineno} {node.module}.{alias.name}" for rel, tree, _ in _modules() for node in ast.walk(tree)
             if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("auditor")
             for alias in node.names if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert not found, found


def test_modules_and_functions_stay_small():
    big = [f"{rel} ({n} lines)" for rel, _, n in _modules() if n > 450]
    long = [f"{rel}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)" for rel, tree, _ in _modules()
            for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > 60 and (rel, node.name) not in LONG_ALLOWED]
    assert not big and not long, big + long


def test_the_checks_see_what_they_look_for(tmp_path):
    """The two checks can fail: a module that imports a private name, and a long function, are found."""
    fake = tmp_path / "auditor"
    fake.mkdir()
    (fake / "a.py").write_text("from auditor.b import _hidden\n\ndef f():\n" + "    x = 1\n" * 61)
    globals()["PACKAGE"], old = fake, PACKAGE
    try:
        with pytest.raises(AssertionError, match="_hidden"):
            test_no_module_imports_a_private_name_of_another()
        with pytest.raises(AssertionError, match="a.py:3 f"):
            test_modules_and_functions_stay_small()
    finally:
        globals()["PACKAGE"] = old
