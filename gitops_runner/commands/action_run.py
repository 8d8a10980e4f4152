"""What one action run carries from handler to handler: the context, the Session, the
gate's decision, and what it collects on its way to outputs, summary and exit code; and
`publish`, the one place a handler's result becomes summary, outputs, exit code, comment
and drift issues (rendered by report/action.py and report/action_runs.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import partial

from gitops_runner.engine.session import Session
from gitops_runner.github import comment as gc
from gitops_runner.github.api import GitHubClient, GitHubError
from gitops_runner.github.context import ActionContext
from gitops_runner.github.gate import Decision
from gitops_runner.github.issues import open_drift_issues, sync_drift_issue
from gitops_runner.github.outputs import escape_data
from gitops_runner.output import Output
from gitops_runner.plan.drift import StackDrift
from gitops_runner.report import action as report
from gitops_runner.report import action_runs as runs
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


Result = runs.PlanRun | runs.DriftRun | runs.ScheduleRun | runs.DestroyRun | report.AppliedRun


def publish(run: Run, result: Result | None) -> None:
    """A handler's result into the summary, the outputs, the exit code and GitHub."""
    if isinstance(result, runs.PlanRun):
        sections = plan_sections(run, result)
        run.outputs.update(runs.plan_outputs(result))
        run.summary.extend(s.markdown for s in sections)
        if not result.ok:
            run.fail()
        plan_comment(run, result)
    elif isinstance(result, report.AppliedRun):
        _publish_applied(run, result)
    elif isinstance(result, runs.DriftRun):
        _publish_drift(run, result)
    elif isinstance(result, runs.ScheduleRun):
        text = runs.schedule_text(result)
        run.out.log(text)
        run.summary.append(runs.schedule_markdown(result))
        if not result.ok:
            run.fail()
    elif isinstance(result, runs.DestroyRun):
        run.summary.extend(runs.destroyed_lines(result))
        if result.error:
            run.out.log(f"error: {result.error}")
            run.summary.append(report.error(result.error))
        if not result.ok:
            run.fail()


def plan_sections(run: Run, result: runs.PlanRun) -> list[rc.StackSection]:
    return [replace(s, markdown=run.out.redact(s.markdown), brief=run.out.redact(s.brief))
            for s in runs.plan_sections(result)]


def plan_comment(run: Run, result: runs.PlanRun,
                 previews: Sequence[rc.StackSection] = ()) -> None:
    """The sticky plan comment: each stack's plan, then its previews (CONTRACT §8, §12)."""
    gh, number, out = run.github(), run.ctx.pull_number, run.out
    if run.ctx.event_name != "pull_request" or not (run.ctx.comment and gh and number):
        return
    footer = report.planned_footer(run.ctx.sha, run.ctx.run_url)
    preamble = out.redact(runs.comment_preamble(run.invalid))
    bodies = comment_bodies("plan", "gitops-runner plan",
                            [*plan_sections(run, result), *previews], footer, preamble,
                            run.ctx.run_url)
    owner, repo = run.ctx.owner_repo
    try:
        gc.upsert(gh, owner, repo, number, "plan", bodies, run.ctx.comment_author)
    except GitHubError as exc:
        run.warn_github("updating the pull request comment", exc)


def _publish_applied(run: Run, result: report.AppliedRun) -> None:
    if not result.ok:
        run.fail()
    text = report.applied_markdown(result)
    run.summary.insert(0, text)
    run.outputs["summary"] = report.applied_summary(result)
    run.outputs["has-changes"] = str(result.changed).lower()
    gh = run.github()
    if not (gh and result.pull and run.ctx.comment):
        return
    owner, repo = run.ctx.owner_repo
    body = numbered("apply", [run.out.redact(text) + report.run_link(run.ctx.run_url)])
    try:
        gc.upsert(gh, owner, repo, result.pull, "apply", body, run.ctx.comment_author)
    except GitHubError as exc:
        run.warn_github("reporting on the pull request", exc)


def _publish_drift(run: Run, result: runs.DriftRun) -> None:
    publish(run, result.reconciled)
    run.outputs.update(runs.drift_outputs(result))
    run.summary.append(runs.drift_markdown(result))
    if run.decision.drift_issues:
        _sync_issues(run, result.results)
    if result.drifted:
        run.fail(2)
    if result.errors:
        run.fail()


def _sync_issues(run: Run, results: Sequence[StackDrift]) -> None:
    gh = run.github()
    if gh is None:
        return
    owner, repo = run.ctx.owner_repo
    try:
        existing = open_drift_issues(gh, owner, repo, run.ctx.comment_author)
        for r in results:
            body = run.out.redact(runs.drift_issue(r)) + report.run_link(run.ctx.run_url)
            done = sync_drift_issue(gh, owner, repo, r.stack.name, bool(r.findings), body,
                                    existing)
            run.out.log(f"{r.stack.name}: drift issue {done}")
    except GitHubError as exc:
        run.warn_github("updating drift issues", exc)
