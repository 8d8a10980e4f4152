"""What one action run carries from handler to handler: the context, the Session, the
gate's decision, and what it collects on its way to outputs, summary and exit code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from gitops_runner.engine.session import Session
from gitops_runner.github import comment as gc
from gitops_runner.github.api import GitHubClient, GitHubError
from gitops_runner.github.context import ActionContext
from gitops_runner.github.gate import Decision
from gitops_runner.github.outputs import escape_data
from gitops_runner.output import Output
from gitops_runner.report import action as report
from gitops_runner.report import comment as rc

PLAN_JSON = "gitops-runner-plan.json"  # relative to GITHUB_WORKSPACE, for later steps


def comment_bodies(kind: str, title: str, sections: Sequence[rc.StackSection], footer: str,
                   preamble: str, summary_url: str) -> list[str]:
    """The comment's parts (report/comment.py) with GitHub's markers (github/comment.py)."""
    parts = rc.fit_parts(title, sections, footer, preamble, summary_url,
                         gc.render_stack_marker)
    return numbered(kind, parts)


def numbered(kind: str, parts: Sequence[str]) -> list[str]:
    return rc.number_parts(parts, partial(gc.render_part_marker, kind))


@dataclass
class Run:
    ctx: ActionContext
    session: Session
    decision: Decision = field(default_factory=lambda: Decision("nothing"))
    exit_code: int = 0
    summary: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    invalid: str = ""  # markdown list of validation problems, for the PR comment

    @property
    def out(self) -> Output:
        return self.session.out

    def fail(self, code: int = 1) -> None:
        """1 (error) outranks 2 (drift remains), which outranks 0."""
        if code == 1 or self.exit_code == 0:
            self.exit_code = code

    def refuse(self, reason: str) -> None:
        self.out.log(f"error: {reason}")
        self.summary.append(report.refused(reason))
        self.fail()

    def github(self) -> GitHubClient | None:
        if not (self.ctx.github_token and self.ctx.repository):
            return None
        return GitHubClient(self.ctx.api_url, self.ctx.github_token,
                            sleep=self.session.clock.sleep)

    def warn(self, text: str) -> None:
        self.out.command(f"::warning::{escape_data(self.out.redact(text))}")
        self.summary.append(report.warning(text))

    def warn_github(self, what: str, exc: GitHubError) -> None:
        self.warn(f"{what} failed: {exc}")
