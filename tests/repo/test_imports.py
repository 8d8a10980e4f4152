"""Imports flow one way: the pure core never reaches for I/O libraries."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "gitops_runner"
PURE = ("config", "plan")
IO_MODULES = {"requests", "boto3", "botocore", "click", "socket", "urllib", "http"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_imports_pure_core_has_no_io() -> None:
    for pkg in PURE:
        for path in (PACKAGE / pkg).rglob("*.py"):
            bad = {n for n in imports_of(path) if n.split(".")[0] in IO_MODULES}
            assert not bad, f"{path.name} imports {bad}"
            assert "os.environ" not in path.read_text(), path


def test_imports_only_cli_imports_click() -> None:
    for path in PACKAGE.rglob("*.py"):
        if PACKAGE / "cli" not in path.parents:
            assert not any(n.split(".")[0] == "click" for n in imports_of(path)), path


def test_imports_environment_is_read_only_by_the_session() -> None:
    allowed = {PACKAGE / "engine" / "session.py"}
    readers = {path for path in PACKAGE.rglob("*.py") if "os.environ" in path.read_text()}
    assert readers <= allowed, sorted(str(p) for p in readers - allowed)


def test_imports_layer_contract_holds() -> None:
    """import-linter's contracts in pyproject.toml: each layer imports only from below."""
    lint = Path(sys.executable).parent / "lint-imports"
    out = subprocess.run([str(lint)], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert out.returncode == 0, out.stdout[-2000:]


def test_imports_cold_start_does_not_load_boto3() -> None:
    code = ("import sys; from gitops_runner import cli; "
            "print(any(m.startswith(('boto3', 'botocore')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
