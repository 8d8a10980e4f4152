"""Run the CLI in-process and capture exactly what a user would see."""

from __future__ import annotations

import io
from dataclasses import dataclass

from gitops_runner.cli import main
from gitops_runner.output import Output


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(argv: list[str], env: dict[str, str] | None = None) -> CliResult:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, env=env or {}, out=Output(out=out, err=err))
    return CliResult(code, out.getvalue(), err.getvalue())
