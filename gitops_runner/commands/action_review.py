"""The review loop: plan on pull requests and merge queues (one sticky comment holding
each stack's fingerprint), apply on merge only what that comment showed (fail closed)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from gitops_runner.commands import action_preview
from gitops_runner.commands.action_run import PLAN_JSON, Run
from gitops_runner.config.model import Stack
from gitops_runner.engine.apply import ApplyOptions, PlanChangedError, apply_stack
from gitops_runner.engine.observe import plan_stacks
from gitops_runner.errors import GitopsError
from gitops_runner.fsutil import atomic_write
from gitops_runner.github import comment as gc
from gitops_runner.github.api import GitHubError
from gitops_runner.plan.planfile import render_plan_file
from gitops_runner.report.plan import render_markdown

# commits/{sha}/pulls can come back empty for a while right after a merge: ask again.
LOOKUP_WAITS = (2.0, 4.0, 8.0)


def plan(run: Run, stacks: list[Stack]) -> None:
    secrets = run.session.secret_values(stacks)
    with run.session.runpod(stacks) as access:
        plans = [r.plan for r in plan_stacks(run.session, stacks, access.client, secrets)]
    out = run.out
    sections = [gc.StackSection(p.stack, p.fingerprint,
                                out.redact(gc.neutralise_markdown(render_markdown(p, access.sandbox))),
                                brief=f"{len(p.actions) + len(p.volume_actions)} change(s).")
                for p in plans]
    path = os.path.join(run.ctx.workspace or ".", PLAN_JSON)
    atomic_write(path, out.redact(render_plan_file(plans)).encode())
    violations = [v for p in plans for v in p.violations]
    run.outputs.update({"has-changes": str(any(p.has_changes for p in plans)).lower(),
                        "plan-json": PLAN_JSON,
                        "summary": f"{sum(len(p.actions) + len(p.volume_actions) for p in plans)} "
                                   "change(s) in "
                                   f"{len(plans)} stack(s)"
                                   + (f", {len(violations)} guardrail violation(s)"
                                      if violations else "")})
    run.summary.extend(s.markdown for s in sections)
    if violations:
        run.fail()
    _comment(run, sections)
    previews = action_preview.previews(run, stacks, lambda more: _comment(run, sections + more))
    if previews:
        _comment(run, sections + previews)


def _comment(run: Run, sections: list[gc.StackSection]) -> None:
    gh, number, out = run.github(), run.ctx.pull_number, run.out
    if run.ctx.event_name != "pull_request" or not (run.ctx.comment and gh and number):
        return
    footer = f"_Planned at {run.ctx.sha[:12]} by [this run]({run.ctx.run_url})._"
    preamble = out.redact(gc.neutralise_markdown(run.invalid))
    bodies = gc.finalize("plan", gc.fit_parts("gitops-runner plan", sections, footer, preamble,
                                              run.ctx.run_url))
    owner, repo = run.ctx.owner_repo
    try:
        gc.upsert(gh, owner, repo, number, "plan", bodies, run.ctx.comment_author)
    except GitHubError as exc:
        run.warn_github("updating the pull request comment", exc)


@dataclass(frozen=True)
class Review:
    number: int | None  # the merged pull request; None: none found
    fingerprints: dict[str, str | None]


def find_review(run: Run) -> Review:
    """The merged pull request of this push and each stack's fingerprint from the plan
    comment by `comment-author`. A GitHub error is an error: nothing is applied."""
    gh = run.github()
    if gh is None:
        return Review(None, {})
    owner, repo = run.ctx.owner_repo
    try:
        number = None
        for wait in (*LOOKUP_WAITS, None):
            number = _merged_pull(gh.get(f"/repos/{owner}/{repo}/commits/{run.ctx.sha}/pulls"),
                                  run.ctx.sha, run.ctx.default_branch)
            if number is not None or wait is None:
                break
            run.out.log(f"no merged pull request linked to {run.ctx.sha[:12]} yet; asking "
                        f"again in {wait:.0f}s")
            run.session.clock.sleep(wait)
        if number is None:
            return Review(None, {})
        comments = gc.find_comments(gh, owner, repo, number, "plan", run.ctx.comment_author)
        return Review(number, gc.parse_fingerprints([c.body for c in comments]))
    except GitHubError as exc:
        raise GitHubError(f"cannot read the reviewed plan, so nothing is applied: {exc}. "
                          "Re-run when GitHub answers, or run the action with command: apply "
                          "to apply without the review check") from None


def _merged_pull(pulls: object, sha: str, default_branch: str) -> int | None:
    merged = [p for p in (pulls if isinstance(pulls, list) else [])
              if isinstance(p, dict) and p.get("merged_at")
              and (p.get("base") or {}).get("ref", default_branch) == default_branch]
    exact = [p for p in merged if p.get("merge_commit_sha") == sha]
    chosen = (exact or merged)[:1]
    return int(chosen[0]["number"]) if chosen else None


def _refusal(stack: str, review: Review, author: str) -> str | None:
    if review.number is None:
        return None
    if stack not in review.fingerprints:
        return (f"no plan for it in #{review.number}'s plan comment by {author}: nothing "
                "reviewed, so nothing applied")
    if review.fingerprints[stack] is None:
        return f"#{review.number} had no valid plan for it (see its comment). Not applied."
    return None


def apply(run: Run, stacks: list[Stack]) -> None:
    review = find_review(run) if run.decision.review else None
    author = run.ctx.comment_author
    if review is not None and review.number is None:
        run.refuse(f"no merged pull request found for {run.ctx.sha[:12]} (asked "
                   f"{len(LOOKUP_WAITS) + 1} times), so there is no reviewed plan and nothing "
                   "is applied. A direct push is applied only with command: apply")
        return
    if review is not None and review.number:
        run.session.for_pull_request(review.number)
    secrets = run.session.secret_values(stacks)
    lines: list[str] = []
    changed = False
    with run.session.runpod(stacks) as access:
        for stack in stacks:
            refused = _refusal(stack.name, review, author) if review else None
            if refused:
                lines.append(f"- :no_entry: **{stack.name}**: {refused}")
                run.fail()
                continue
            reviewed = review.fingerprints.get(stack.name) if review else None
            try:
                result = apply_stack(run.session, stack, access, secrets, ApplyOptions(),
                                     reviewed=reviewed)
            except PlanChangedError as exc:
                lines.append(f"- :no_entry: **{stack.name}**: plan changed since review — "
                             f"reviewed `{exc.reviewed}`, now `{exc.now}`. Not applied.")
                run.fail()
                continue
            except GitopsError as exc:
                # One stack's failure (lock held, state error) is reported; the others
                # still run, and the report lists every stack (CONTRACT §10).
                lines.append(f"- :x: **{stack.name}**: {exc}")
                run.fail()
                continue
            changed = changed or any(o.ok for o in result.outcomes)
            mark = ":white_check_mark:" if result.converged else ":x:"
            lines.append(f"- {mark} {result.summary()}")
            lines.extend(f"  - failed: {f.pod} {f.action}: {f.detail}" for f in result.failed)
            if not result.converged:
                run.fail()
    report = "### gitops-runner apply\n\n" + gc.neutralise_markdown("\n".join(lines)) + "\n"
    run.summary.insert(0, report)
    run.outputs["summary"] = lines[0].lstrip("- ") if len(lines) == 1 else \
        f"applied {len(stacks)} stack(s)"
    run.outputs["has-changes"] = str(changed).lower()
    _report_on_pull(run, review.number if review else None, report)


def _report_on_pull(run: Run, number: int | None, report: str) -> None:
    gh = run.github()
    if not (gh and number and run.ctx.comment):
        return
    owner, repo = run.ctx.owner_repo
    body = gc.finalize("apply", [run.out.redact(report) + f"\n_[Run]({run.ctx.run_url})_\n"])
    try:
        gc.upsert(gh, owner, repo, number, "apply", body, run.ctx.comment_author)
    except GitHubError as exc:
        run.warn_github("reporting on the pull request", exc)
