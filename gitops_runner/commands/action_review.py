"""The review loop: plan on pull requests and merge queues (one sticky comment holding
each stack's fingerprint), apply on merge only what that comment showed (fail closed)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from gitops_runner.commands.action_run import PLAN_JSON, Run
from gitops_runner.config.model import Stack
from gitops_runner.engine.apply import ApplyOptions, Approval, PlanChangedError, apply_stack
from gitops_runner.engine.observe import plan_stacks
from gitops_runner.errors import GitopsError
from gitops_runner.fsutil import atomic_write
from gitops_runner.github import comment as gc
from gitops_runner.github.api import GitHubError
from gitops_runner.plan.planfile import render_plan_file
from gitops_runner.report import action as report
from gitops_runner.report import action_runs as runs

# commits/{sha}/pulls can come back empty for a while right after a merge: ask again.
LOOKUP_WAITS = (2.0, 4.0, 8.0)


def plan(run: Run, stacks: list[Stack]) -> runs.PlanRun:
    # A plan needs no secret value (CONTRACT §8): the plan job holds a read-only key and no
    # deploy secrets; secret-backed env shows as (sensitive), and the apply checks them.
    secrets = run.session.secret_values(stacks, required=False)
    with run.session.runpod(stacks) as access:
        planned = plan_stacks(run.session, stacks, access.client, secrets)
    # One stack's broken state stops only that stack (CONTRACT §10): it is shown without a
    # fingerprint, so its merge applies nothing, and the run fails.
    result = runs.PlanRun(tuple(runs.StackPlanned(r.stack.name, r.plan, r.error or "")
                                for r in planned), access.sandbox, PLAN_JSON)
    path = os.path.join(run.ctx.workspace or ".", PLAN_JSON)
    atomic_write(path, run.out.redact(render_plan_file(list(result.plans))).encode())
    return result


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


def apply(run: Run, stacks: list[Stack]) -> report.AppliedRun | None:
    review = find_review(run) if run.decision.review else None
    if review is not None and review.number is None:
        run.refuse(f"no merged pull request found for {run.ctx.sha[:12]} (asked "
                   f"{len(LOOKUP_WAITS) + 1} times), so there is no reviewed plan and nothing "
                   "is applied. A direct push is applied only with command: apply")
        return None
    if review is not None and review.number:
        run.session.for_pull_request(review.number)
    return apply_reviewed(run, stacks, review)


def apply_reviewed(run: Run, stacks: list[Stack], review: Review | None) -> report.AppliedRun:
    """Each stack applied only if its plan is the reviewed one (or, without a review,
    command: apply's explicit opt-in). One stack's failure (lock held, state error) is
    reported; the others still run (CONTRACT §10)."""
    secrets = run.session.secret_values(stacks)
    done: list[report.StackApplied] = []
    with run.session.runpod(stacks) as access:
        for stack in stacks:
            refused = _refusal(stack.name, review, run.ctx.comment_author) if review else None
            if refused:
                done.append(report.StackApplied(stack.name, "refused", refused))
                continue
            approval = Approval(reviewed=review.fingerprints.get(stack.name) if review else None)
            try:
                result = apply_stack(run.session, stack, access, secrets, ApplyOptions(),
                                     approval)
            except PlanChangedError as exc:
                done.append(report.StackApplied(stack.name, "plan-changed",
                                                reviewed=exc.reviewed, now=exc.now))
                continue
            except GitopsError as exc:
                done.append(report.StackApplied(stack.name, "error", str(exc)))
                continue
            done.append(report.StackApplied(
                stack.name, "applied", result.summary(), result.converged,
                any(o.ok for o in result.outcomes),
                tuple(f"{f.pod} {f.action}: {f.detail}" for f in result.failed)))
    return report.AppliedRun(tuple(done), review.number if review else None)
