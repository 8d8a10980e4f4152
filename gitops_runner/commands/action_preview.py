"""Preview stacks in the Action (CONTRACT §12): the one thing a pull request may apply.

The preview policy (label, TTL, cost cap, overrides, allow-lists) is read from the
default branch's file, never the pull request's. On a same-repository pull request
carrying the policy's label: apply the pull request's pods under that policy, wait for
readiness, and show endpoints and health in the plan comment. The label approves one
commit: a push (synchronize) takes it off and applies nothing. Unlabeled or closed: the
preview is destroyed. On every event of the pull request, its previews that no file
produces any more are destroyed; the scheduled run sweeps every preview pod (found by
its markers) whose pull request closed or whose expiry passed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gitops_runner.commands.action_run import Run, comment_bodies
from gitops_runner.config.model import Stack
from gitops_runner.config.preview import preview_stack
from gitops_runner.config.preview_policy import BoundPreview, bind_policy
from gitops_runner.engine import preview as engine
from gitops_runner.errors import GitopsError
from gitops_runner.github.api import GitHubError
from gitops_runner.github.comment import upsert
from gitops_runner.github.gate import PreviewDecision, decide_preview
from gitops_runner.github.outputs import escape_data, mask_lines
from gitops_runner.github.pulls import file_at, remove_label
from gitops_runner.report import action as report
from gitops_runner.report import comment as rc

Sections = list[rc.StackSection]


@dataclass(frozen=True)
class Bound:
    stack: Stack  # the pull request's file
    bound: BoundPreview  # its pods under the default branch's policy (or why none)
    decision: PreviewDecision
    unread: bool = False  # the policy could not be read (GitHub error): unknown, not none

    @property
    def name(self) -> str:
        return self.stack.name


def fork_notice(run: Run, stacks: list[Stack]) -> None:
    """A fork's run only validates; if it carries a preview label, say why nothing runs."""
    ctx = run.ctx
    notes = {decide_preview(ctx.event_name, ctx.event_action, ctx.command, ctx.is_fork,
                            ctx.pull_labels, s.preview.label).note
             for s in stacks if s.preview is not None}
    for note in sorted(n for n in notes if n):
        run.out.command(f"::notice::{escape_data(run.out.redact(note))}")
        run.summary.append(report.note(note))


def _policies(run: Run, stacks: list[Stack]) -> list[Bound]:
    """Each stack's file bound to its default-branch policy, with the gate's decision."""
    ctx, gh = run.ctx, run.github()
    owner, repo = ctx.owner_repo
    out = []
    for stack in stacks:
        path = os.path.relpath(os.path.abspath(stack.file), os.path.abspath(ctx.workspace))
        try:
            with open(stack.file, "rb") as handle:
                head = handle.read()
            if gh is None:
                bound = BoundPreview(None, "no GitHub token to read the default branch's "
                                           "preview policy, so no preview runs")
            else:
                bound = bind_policy(stack.file, head, file_at(gh, owner, repo, path,
                                                              ctx.default_branch))
        except (OSError, GitHubError) as exc:
            run.warn(f"cannot read the default branch's preview policy for {stack.name} "
                     f"({exc}), so no preview of it runs or is destroyed this time")
            out.append(Bound(stack, BoundPreview(None, str(exc)), PreviewDecision(), True))
            continue
        policy = bound.stack.preview if bound.stack is not None else None
        decision = PreviewDecision() if policy is None else decide_preview(
            ctx.event_name, ctx.event_action, ctx.command, ctx.is_fork, ctx.pull_labels,
            policy.label)
        out.append(Bound(stack, bound, decision))
    return out


def previews(run: Run, stacks: list[Stack],
             progress: Callable[[Sections], None] | None = None) -> Sections:
    """Apply, revoke or destroy each stack's preview as the policy and the gate decide,
    then destroy what no file produces any more; the comment sections."""
    number, ctx = run.ctx.pull_number, run.ctx
    if number is None or ctx.event_name != "pull_request" or ctx.is_fork \
            or ctx.command not in ("auto", "preview"):
        return []
    run.session.for_pull_request(number)
    if ctx.event_action == "closed":
        return _closed(run, stacks, number)
    bound = _policies(run, stacks)
    todo = [b for b in bound if b.decision.action]
    if progress is not None and any(b.decision.action == "apply" for b in todo):
        progress([_section(run, preview_stack(b.bound.stack, number).name,
                           report.preview_deploying())
                  for b in todo if b.bound.stack is not None])
    outcomes = [_one(run, b, number) for b in todo if b.bound.stack is not None]
    # What the files produce is not known when a file is invalid or a policy unread: a
    # running preview is not taken for an orphan on a guess.
    if not run.invalid and not any(b.unread for b in bound):
        produced = [preview_stack(b.bound.stack, number).name for b in bound
                    if b.bound.stack is not None]
        outcomes += _orphans(run, stacks, number, produced)
    return _sections(run, outcomes)


def _sections(run: Run, outcomes: list[report.PreviewOutcome]) -> Sections:
    """Each outcome in the comment and the job summary; any not ok fails the run."""
    if not all(o.ok for o in outcomes):
        run.fail()
    return [_section(run, o.name, report.preview_markdown(o)) for o in outcomes]


def _section(run: Run, name: str, markdown: str) -> rc.StackSection:
    run.summary.append(run.out.redact(markdown))
    # fingerprint none: a preview section is never a reviewed plan of a main stack.
    return rc.StackSection(name, None, run.out.redact(markdown),
                           brief=markdown.splitlines()[0])


def _one(run: Run, b: Bound, number: int) -> report.PreviewOutcome:
    base = b.bound.stack
    assert base is not None and base.preview is not None
    name = preview_stack(base, number).name
    try:
        if b.decision.action == "destroy":
            with run.session.runpod([base]) as access:
                count, failures = engine.destroy_preview(run.session, base, number, access)
            return report.PreviewOutcome(name, "destroyed", _why(run), count, tuple(failures))
        if b.decision.action == "revoke":
            return _revoke(run, name, base.preview.label, number)
        if _local(run, base):
            return report.PreviewOutcome(name, "refused-local", base.name)
        return _apply(run, base, number)
    except GitopsError as exc:
        run.out.log(f"error: {name}: {exc}")
        return report.PreviewOutcome(name, "failed", str(exc))


def _local(run: Run, stack: Stack) -> bool:
    return stack.state.backend == "local" and not run.session.sandbox


def _why(run: Run) -> str:
    return "the pull request was closed" if run.ctx.event_action == "closed" else \
        "the preview label was removed"


def _revoke(run: Run, name: str, label: str, number: int) -> report.PreviewOutcome:
    """The label approved one commit: a push takes it off (the "safe to test" convention);
    the running preview stays at the approved commit."""
    gh, (owner, repo) = run.github(), run.ctx.owner_repo
    removed = False
    if gh is not None:
        try:
            removed = remove_label(gh, owner, repo, number, label)
        except GitHubError as exc:
            run.warn_github(f"removing the `{label}` label", exc)
    return report.PreviewOutcome(name, "revoked", label=label, removed=removed,
                                 head=run.ctx.head_sha)


def _apply(run: Run, base: Stack, number: int) -> report.PreviewOutcome:
    preview = base.preview
    assert preview is not None
    secrets = run.session.secret_values([preview_stack(base, number)])
    # `overrides` may name secrets the main stacks do not: mask them before any output.
    for line in mask_lines(list(secrets.values())):
        run.out.command(line, redact=False)
    with run.session.runpod([base]) as access:
        done = engine.apply_preview(run.session, base, number, access, secrets)
    return report.PreviewOutcome(done.stack.name, "applied", head=run.ctx.head_sha,
                                 result=done.result, rows=tuple(done.rows), policy=preview)


def _closed(run: Run, stacks: list[Stack], number: int) -> Sections:
    """Every preview of the pull request goes, found by its markers, whatever the files
    say (the files of a closed pull request need not produce it any more)."""
    with run.session.runpod(stacks) as access:
        live = [p for p in engine.find_previews(run.session, stacks, access)
                if p.number == number]
        swept = [engine.destroy_live(run.session, p, access, _why(run)) for p in live]
    return _sections(run, [_destroyed(s) for s in swept])


def _destroyed(s: engine.Swept) -> report.PreviewOutcome:
    return report.PreviewOutcome(s.preview.name, "destroyed", s.reason, s.terminated,
                                 s.failures)


def _orphans(run: Run, stacks: list[Stack], number: int,
             produced: Sequence[str]) -> list[report.PreviewOutcome]:
    try:
        with run.session.runpod(stacks) as access:
            swept = engine.destroy_orphans(run.session, stacks, number, access, produced)
    except GitopsError as exc:
        run.warn(f"looking for orphaned previews of #{number} failed: {exc}")
        return []
    return [_destroyed(s) for s in swept]


def handle(run: Run, stacks: list[Stack]) -> None:
    """`command: preview` (a job of its own, with the preview key): the previews and their
    own comment. `auto` on `closed`: destroy them, and leave the plan comment as it is
    (after a merge, the push's apply reads the reviewed fingerprints from it)."""
    own = run.ctx.command == "preview"
    sections = previews(run, stacks, (lambda more: _comment(run, more)) if own else None)
    if own and sections:
        _comment(run, sections)


def _comment(run: Run, sections: Sections) -> None:
    gh, number = run.github(), run.ctx.pull_number
    if not (run.ctx.comment and gh and number):
        return
    footer = report.previewed_footer(run.ctx.head_sha, run.ctx.run_url)
    bodies = comment_bodies("preview", "gitops-runner preview", sections, footer, "",
                            run.ctx.run_url)
    owner, repo = run.ctx.owner_repo
    try:
        upsert(gh, owner, repo, number, "preview", bodies, run.ctx.comment_author)
    except GitHubError as exc:
        run.warn_github("updating the preview comment", exc)


def sweep(run: Run, stacks: list[Stack]) -> None:
    """The scheduled run: destroy every preview (found by its markers, whatever the files
    say) whose pull request is closed or whose expiry passed."""
    gh = run.github()
    owner, repo = run.ctx.owner_repo

    def pull_open(number: int) -> bool | None:
        if gh is None:
            return None
        try:
            pull = gh.get(f"/repos/{owner}/{repo}/pulls/{number}")
        except GitHubError as exc:
            run.warn_github(f"asking GitHub about pull request #{number}", exc)
            return None
        return None if not isinstance(pull, dict) else pull.get("state") == "open"

    with run.session.runpod(stacks) as access:
        swept = [s for s in engine.sweep(run.session, stacks, access, pull_open) if s.reason]
    if any(s.failures for s in swept):
        run.fail()
    if swept:
        run.summary.append(report.swept(swept, "Previews swept"))
