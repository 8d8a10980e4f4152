"""Flows and the pure core stay readable in one sitting: no function in `engine/` or
`plan/` is over 60 lines (issue 27)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "gitops_runner"
MAX_LINES = 60


def long_functions(layer: str, max_lines: int = MAX_LINES) -> list[str]:
    found = []
    for path in sorted((PACKAGE / layer).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > max_lines:
                    found.append(f"{path.name}:{node.lineno} {node.name} ({lines} lines)")
    return found


def test_no_function_in_engine_or_plan_is_over_60_lines() -> None:
    assert long_functions("engine") + long_functions("plan") == []


def test_the_check_sees_functions() -> None:
    # A walk that found no functions at all would pass the test above for nothing.
    assert long_functions("engine", 20) and long_functions("plan", 20)
