"""Preview stacks in the Action (CONTRACT §12): the one thing a pull request may apply.

On a same-repository pull request carrying a stack's preview label (decided per stack
by github/gate.decide_preview): apply the preview, wait for readiness, and show its
endpoints and health in its own section of the plan comment. Unlabeled or closed:
destroy it and remove its state. The scheduled run sweeps previews whose pull request
closed or whose TTL passed, found on RunPod by their stack markers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from gitops_runner.commands.action_run import Run
from gitops_runner.config.model import Stack
from gitops_runner.config.preview import preview_stack
from gitops_runner.engine import preview as engine
from gitops_runner.errors import GitopsError
from gitops_runner.github import comment as gc
from gitops_runner.github.api import GitHubError
from gitops_runner.github.gate import PreviewDecision, decide_preview
from gitops_runner.github.outputs import escape_data, mask_lines
from gitops_runner.report.plan import money
from gitops_runner.report.preview import rows_markdown

Sections = list[gc.StackSection]
# An endpoint shown as a usable URL: built from RUNPOD_PROXY_URL and a plain pod id.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~/-]*)?")


def _decisions(run: Run, stacks: list[Stack]) -> list[tuple[Stack, PreviewDecision]]:
    ctx = run.ctx
    return [(s, decide_preview(ctx.event_name, ctx.event_action, ctx.command, ctx.is_fork,
                               ctx.pull_labels, s.preview.label))
            for s in stacks if s.preview is not None]


def fork_notice(run: Run, stacks: list[Stack]) -> None:
    """A fork's run only validates; if it carries a preview label, say why nothing runs."""
    notes = {d.note for _, d in _decisions(run, stacks) if d.note}
    for note in sorted(notes):
        run.out.command(f"::notice::{escape_data(run.out.redact(note))}")
        run.summary.append(f"> [!NOTE]\n> {note}\n")


def _refuse_local(run: Run, stack: Stack) -> str:
    if stack.state.backend != "local" or run.session.sandbox:
        return ""
    return (f"{stack.name} keeps state with backend: local, which vanishes with the runner, "
            "so no preview is deployed; keep state in S3")


def _section(name: str, markdown: str) -> gc.StackSection:
    # fingerprint none: a preview section is never a reviewed plan of a main stack.
    return gc.StackSection(name, None, markdown, brief=markdown.splitlines()[0])


def _safe_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    safe = []
    for r in rows:
        row = {k: gc.neutralise_markdown(str(v)) if isinstance(v, str) else v
               for k, v in r.items()}
        row["endpoints"] = [e if _PLAIN_URL.fullmatch(e) else gc.neutralise_markdown(e)
                            for e in r["endpoints"]]
        safe.append(row)
    return safe


def previews(run: Run, stacks: list[Stack],
             progress: Callable[[Sections], None] | None = None) -> Sections:
    """Apply or destroy each stack's preview as the gate decides; the comment sections."""
    number = run.ctx.pull_number
    todo = [(s, d) for s, d in _decisions(run, stacks) if d.action]
    if not todo or number is None:
        return []
    run.session.for_pull_request(number)
    if progress is not None and any(d.action == "apply" for _, d in todo):
        progress([_section(preview_stack(s, number).name,
                           f"### Preview `{preview_stack(s, number).name}`\n\n"
                           ":hourglass: Deploying the preview… this comment is updated when "
                           "it is ready.\n") for s, _ in todo])
    sections: Sections = []
    for stack, decision in todo:
        name = preview_stack(stack, number).name
        title = f"### Preview `{name}`\n\n"
        try:
            if decision.action == "destroy":
                body = _destroy(run, stack, number)
            else:
                body = _refuse_local(run, stack)
                body = f":no_entry: {body}\n" if body else _apply(run, stack, number)
        except GitopsError as exc:
            run.out.log(f"error: {name}: {exc}")
            body = f":x: Preview failed: {gc.neutralise_markdown(str(exc))}\n"
            run.fail()
        sections.append(_section(name, run.out.redact(title + body)))
        run.summary.append(run.out.redact(title + body))
    return sections


def _apply(run: Run, stack: Stack, number: int) -> str:
    preview = stack.preview
    assert preview is not None
    secrets = run.session.secret_values([preview_stack(stack, number)])
    # `overrides` may name secrets the main stacks do not: mask them before any output.
    for line in mask_lines(list(secrets.values())):
        run.out.command(line, redact=False)
    with run.session.runpod([stack]) as access:
        done = engine.apply_preview(run.session, stack, number, access, secrets)
    result = done.result
    limits = (f"Limit {money(preview.max_hourly_cost)}; destroyed when the pull request "
              f"closes, the `{preview.label}` label is removed, or after "
              f"{preview.ttl_hours:g} h.")
    if result.violations:
        run.fail()
        reasons = "\n".join(f"- {gc.neutralise_markdown(v)}" for v in result.violations)
        return f":no_entry: **Preview refused**, nothing deployed:\n\n{reasons}\n\n{limits}\n"
    if not result.converged:
        run.fail()
        failed = "\n".join(f"- {f.pod} {f.action}: {gc.neutralise_markdown(f.detail)}"
                           for f in result.failed)
        head = f":x: Preview not ready: {gc.neutralise_markdown(result.summary())}\n\n{failed}"
    else:
        head = f":white_check_mark: Preview ready: {gc.neutralise_markdown(result.summary())}"
    return f"{head}\n\n{rows_markdown(_safe_rows(done.rows))}\n{limits}\n"


def _destroy(run: Run, stack: Stack, number: int) -> str:
    why = "the pull request was closed" if run.ctx.event_action == "closed" else \
        "the preview label was removed"
    with run.session.runpod([stack]) as access:
        count, failures = engine.destroy_preview(run.session, stack, number, access)
    if failures:
        run.fail()
        return (f":x: Destroying the preview ({why}) failed for {len(failures)} pod(s); the "
                "scheduled run tries again:\n\n"
                + "\n".join(f"- {gc.neutralise_markdown(f)}" for f in failures) + "\n")
    return f":wastebasket: Preview destroyed ({why}): {count} pod(s) terminated, state removed.\n"


def closed(run: Run, stacks: list[Stack]) -> None:
    """`pull_request` closed: destroy the previews. The plan comment is left as it is: after
    a merge, the push's apply reads the reviewed fingerprints from it."""
    previews(run, stacks)


def sweep(run: Run, stacks: list[Stack]) -> None:
    """The scheduled run: destroy previews whose pull request is closed or TTL passed."""
    if not any(s.preview for s in stacks):
        return
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
        swept = engine.sweep(run.session, stacks, access, pull_open)
    lines = []
    for s in swept:
        if not s.reason:
            continue
        mark = ":x:" if s.failures else ":wastebasket:"
        lines.append(f"- {mark} `{s.preview.name}`: {s.reason}; {s.terminated} pod(s) "
                     "terminated" + (f", {len(s.failures)} failed" if s.failures else ""))
        if s.failures:
            run.fail()
    if lines:
        run.summary.append("### Previews swept\n\n" + gc.neutralise_markdown("\n".join(lines))
                           + "\n")
