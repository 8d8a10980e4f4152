"""`gitops-runner action`: what the GitHub Action does for each event (CONTRACT §8)."""

from __future__ import annotations

import glob
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from gitops_runner.config import check_files
from gitops_runner.config.model import Stack
from gitops_runner.engine.apply import ApplyOptions, ApplyResult, PlanChangedError, apply_stack
from gitops_runner.engine.destroy import destroy_stack
from gitops_runner.engine.observe import drift_stacks, plan_stacks
from gitops_runner.engine.session import Session
from gitops_runner.errors import GitopsError
from gitops_runner.fsutil import atomic_write
from gitops_runner.github import comment as gc
from gitops_runner.github.annotations import error_annotation
from gitops_runner.github.api import GitHubClient, GitHubError
from gitops_runner.github.context import ActionContext
from gitops_runner.github.issues import open_drift_issues, sync_drift_issue
from gitops_runner.github.outputs import append_summary, mask_lines, write_outputs
from gitops_runner.output import Output
from gitops_runner.plan.planfile import render_plan_file
from gitops_runner.report.drift import drift_markdown
from gitops_runner.report.plan import render_markdown


@dataclass
class Run:
    """What one action run collects on its way to outputs, summary and exit code."""

    ctx: ActionContext
    session: Session
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

    def github(self) -> GitHubClient | None:
        return GitHubClient(self.ctx.api_url, self.ctx.github_token) \
            if self.ctx.github_token and self.ctx.repository else None

    def warn_github(self, what: str, exc: GitHubError) -> None:
        self.out.report(f"::warning::{what} failed: {exc}")
        self.summary.append(f"> [!WARNING]\n> {what} failed: {exc}\n")


def run(session: Session, ctx: ActionContext) -> int:
    out = session.out
    session.with_api_key(ctx.runpod_api_key)
    run = Run(ctx, session)
    files = sorted(glob.glob(ctx.config))
    stacks = _load(run, files)
    # Mask before anything else is printed; these lines bypass redaction on purpose.
    secrets = [session.runpod_settings.api_key,
               *session.secret_values(stacks, required=False).values()]
    for line in mask_lines(secrets):
        out.out.write(line + "\n")
    command = ctx.command
    handlers: dict[str, Callable[[Run, list[Stack]], None]] = {
        "validate": lambda r, s: None, "plan": _plan, "apply": _apply, "drift": _drift,
        "destroy": _destroy}
    if ctx.event_name == "pull_request" and command in ("apply", "destroy"):
        out.log(f"error: refusing to {command} on a pull_request event; changes are applied "
                "on merge to the default branch")
        run.summary.append(f"**Refused**: `{command}` never runs on a pull_request event.")
        run.fail()
        command = "plan"
    if command == "auto":
        command = _auto_command(run)
    try:
        if command in handlers and files:
            handlers[command](run, stacks)
        elif command not in handlers and command != "nothing":
            out.log(f"error: unknown command {command!r}; use auto, validate, plan, apply, "
                    "drift or destroy")
            run.fail()
    except GitopsError as exc:
        out.log(f"error: {exc}")
        run.summary.append(f"**Error**: {exc}")
        run.fail()
    append_summary(ctx.summary_file, out.redact("\n".join(run.summary)))
    run.outputs.setdefault("has-changes", "false")
    run.outputs.setdefault("has-drift", "false")
    run.outputs.setdefault("plan-json", "")
    run.outputs.setdefault("summary", run.summary[0].splitlines()[0] if run.summary else "")
    write_outputs(ctx.output_file, {k: out.redact(v) for k, v in run.outputs.items()})
    return run.exit_code


def _load(run: Run, files: list[str]) -> list[Stack]:
    if not files:
        run.out.log(f"error: no deploy files match {run.ctx.config!r}")
        run.summary.append(f"No deploy files match `{run.ctx.config}`.")
        run.fail()
        return []
    stacks, problems = check_files(files)
    for p in problems:
        run.out.report(error_annotation(p.file, p.line, p.col, p.message))
    if problems:
        run.invalid = "### Invalid deploy files\n\n" + "\n".join(
            f"- `{p.file}:{p.line}:{p.col}` {p.message}" for p in problems) + "\n"
        run.summary.append(run.invalid)
        run.fail()
    return stacks


def _auto_command(run: Run) -> str:
    ctx = run.ctx
    if ctx.event_name == "pull_request":
        return "plan"
    if ctx.event_name == "push":
        if ctx.ref == f"refs/heads/{ctx.default_branch}":
            return "apply"
        run.out.log(f"push to {ctx.ref}, not the default branch {ctx.default_branch}: "
                    "nothing to do")
        run.summary.append(f"Nothing to do: push to `{ctx.ref}` is not to the default branch.")
        return "nothing"
    if ctx.event_name in ("schedule", "workflow_dispatch"):
        return "drift"
    run.out.log(f"event {ctx.event_name!r} is not one gitops-runner acts on; nothing to do")
    run.summary.append(f"Nothing to do for the `{ctx.event_name}` event.")
    return "nothing"


def _plan(run: Run, stacks: list[Stack]) -> None:
    secrets = run.session.secret_values(stacks)
    with run.session.runpod(stacks) as access:
        plans = [r.plan for r in plan_stacks(run.session, stacks, access.client, secrets)]
    sections = [gc.StackSection(p.stack, p.fingerprint, render_markdown(p, access.sandbox))
                for p in plans]
    path = os.path.join(run.ctx.runner_temp or ".", "gitops-runner-plan.json")
    atomic_write(path, run.out.redact(render_plan_file(plans)).encode())
    changes = any(p.has_changes for p in plans)
    violations = [v for p in plans for v in p.violations]
    run.outputs.update({"has-changes": str(changes).lower(), "plan-json": path,
                        "summary": f"{sum(len(p.actions) for p in plans)} change(s) in "
                                   f"{len(plans)} stack(s)"
                                   + (f", {len(violations)} guardrail violation(s)"
                                      if violations else "")})
    run.summary.extend(s.markdown for s in sections)
    if violations:
        run.fail()
    number = run.ctx.pull_number
    gh = run.github()
    if run.ctx.event_name == "pull_request" and run.ctx.comment and gh and number:
        footer = f"_Planned at {run.ctx.sha[:12]} by [this run]({run.ctx.run_url})._"
        bodies = gc.finalize("plan", gc.split_parts(gc.render_sections(
            "gitops-runner plan", sections, footer, run.invalid)))
        owner, repo = run.ctx.owner_repo
        try:
            gc.upsert(gh, owner, repo, number, "plan", [run.out.redact(b) for b in bodies])
        except GitHubError as exc:
            run.warn_github("updating the pull request comment", exc)


def _reviewed(run: Run) -> tuple[int | None, dict[str, str | None]]:
    gh = run.github()
    if gh is None:
        return None, {}
    owner, repo = run.ctx.owner_repo
    try:
        pulls = gh.get(f"/repos/{owner}/{repo}/commits/{run.ctx.sha}/pulls")
        merged = [p for p in pulls if p.get("merged_at")] or list(pulls)
        if not merged:
            run.out.log("no pull request found for this commit; applying without a review check")
            return None, {}
        number = int(merged[0]["number"])
        comments = gc.find_comments(gh, owner, repo, number, "plan")
        return number, gc.parse_fingerprints([c.body for c in comments])
    except GitHubError as exc:
        # Fail closed: without the reviewed plan there is nothing to hold the apply to.
        raise GitopsError(f"cannot read the reviewed plan, so nothing is applied: {exc}. "
                          "Re-run when GitHub answers, or run the action with command: apply "
                          "to apply without the review check") from None


def _apply(run: Run, stacks: list[Stack]) -> None:
    review = run.ctx.event_name == "push" and run.ctx.command == "auto"
    number, reviewed = _reviewed(run) if review else (None, {})
    if number:
        run.session.for_pull_request(number)
    secrets = run.session.secret_values(stacks)
    lines = []
    with run.session.runpod(stacks) as access:
        for stack in stacks:
            if stack.name in reviewed and reviewed[stack.name] is None:
                lines.append(f"- :no_entry: **{stack.name}**: the pull request had no valid "
                             "plan for it (see its comment). Not applied.")
                run.fail()
                continue
            try:
                result: ApplyResult = apply_stack(run.session, stack, access, secrets,
                                                  ApplyOptions(),
                                                  reviewed=reviewed.get(stack.name))
            except PlanChangedError as exc:
                lines.append(f"- :no_entry: **{stack.name}**: plan changed since review — "
                             f"reviewed `{exc.reviewed}`, now `{exc.now}`. Not applied.")
                run.fail()
                continue
            mark = ":white_check_mark:" if result.converged else ":x:"
            lines.append(f"- {mark} {result.summary()}")
            lines.extend(f"  - failed: {f.pod} {f.action}: {f.detail}" for f in result.failed)
            if not result.converged:
                run.fail()
    report = "### gitops-runner apply\n\n" + "\n".join(lines) + "\n"
    run.summary.insert(0, report)
    run.outputs["summary"] = lines[0].lstrip("- ") if len(lines) == 1 else \
        f"applied {len(stacks)} stack(s)"
    gh = run.github()
    if gh and number and run.ctx.comment:
        owner, repo = run.ctx.owner_repo
        body = gc.finalize("apply", [report + f"\n_[Run]({run.ctx.run_url})_\n"])
        try:
            gc.upsert(gh, owner, repo, number, "apply", [run.out.redact(b) for b in body])
        except GitHubError as exc:
            run.warn_github("reporting on the pull request", exc)


def _drift(run: Run, stacks: list[Stack]) -> None:
    secrets = run.session.secret_values(stacks, required=run.ctx.reconcile)
    with run.session.runpod(stacks) as access:
        results = drift_stacks(run.session, stacks, access.client, secrets)
    if run.ctx.reconcile and any(r.findings for r in results):
        drifted = [r.stack for r in results if r.findings]
        _apply(run, drifted)
        with run.session.runpod(stacks) as access:
            results = drift_stacks(run.session, stacks, access.client, secrets)
    has_drift = any(r.findings for r in results)
    run.outputs.update({"has-drift": str(has_drift).lower(),
                        "summary": f"{sum(1 for r in results if r.findings)} of {len(results)} "
                                   "stack(s) drifted"})
    run.summary.append(drift_markdown(results))
    gh = run.github()
    if gh is not None:
        owner, repo = run.ctx.owner_repo
        try:
            existing = open_drift_issues(gh, owner, repo)
            for r in results:
                body = run.out.redact(drift_markdown([r]) + f"\n_[Run]({run.ctx.run_url})_\n")
                done = sync_drift_issue(gh, owner, repo, r.stack.name, bool(r.findings), body,
                                        existing)
                run.out.log(f"{r.stack.name}: drift issue {done}")
        except GitHubError as exc:
            run.warn_github("updating drift issues", exc)
    if has_drift:
        run.fail(2)


def _destroy(run: Run, stacks: list[Stack]) -> None:
    with run.session.runpod(stacks) as access:
        for stack in stacks:
            count, failures = destroy_stack(run.session, stack, access)
            run.summary.append(f"- {stack.name}: {count} pod(s) terminated"
                               + (f", {len(failures)} failed" if failures else ""))
            if failures:
                run.fail()

