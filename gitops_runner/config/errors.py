"""Config errors carry the file, line and column of the offending key or value."""

from __future__ import annotations

from dataclasses import dataclass

from gitops_runner.errors import GitopsError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a deploy file. line and col are 1-based."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class ConfigError(GitopsError):
    """One or more problems in deploy files; all of them, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.col, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))
