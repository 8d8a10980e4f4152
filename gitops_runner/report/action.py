"""What the GitHub Action says: the markdown of the pull request comment and the job
summary (CONTRACT §8, §12). Pure: results in, neutralised markdown out (redaction is the
caller's, which holds the secrets)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from gitops_runner.config.model import Preview
from gitops_runner.output import neutralise_markdown as safe
from gitops_runner.plan.drift import StackDrift
from gitops_runner.plan.model import Plan
from gitops_runner.plan.previews import LivePreview
from gitops_runner.report.drift import drift_markdown
from gitops_runner.report.plan import money, summary_line
from gitops_runner.report.preview import rows_markdown

# An endpoint shown as a usable URL: built from RUNPOD_PROXY_URL and a plain pod id.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~/-]*)?")


def note(text: str) -> str:
    return f"> [!NOTE]\n> {text}\n"


def preview_title(name: str) -> str:
    return f"### Preview `{name}`\n\n"


def preview_deploying() -> str:
    return ":hourglass: Deploying the preview… this comment is updated when it is ready.\n"


def preview_refused_local(stack: str) -> str:
    return (f":no_entry: {stack} keeps state with backend: local, which vanishes with the "
            "runner, so no preview is deployed; keep state in S3\n")


def preview_failed(error: str) -> str:
    return f":x: Preview failed: {safe(error)}\n"


def preview_revoked(label: str, head: str, removed: bool) -> str:
    done = f"the `{label}` label was removed" if removed else \
        f"the `{label}` label approves one commit"
    at = f" `{head[:12]}`" if head else ""
    return (f":pause_button: New commits were pushed, and {done}: nothing new is deployed. "
            f"The label approves one commit, so the new head{at} needs it again (after a "
            "review of what it runs). The running preview stays at the commit last "
            "approved.\n")


def preview_destroyed(why: str, count: int, failures: Sequence[str]) -> str:
    if failures:
        return (f":x: Destroying the preview ({why}) failed for {len(failures)} pod(s); the "
                "scheduled run tries again:\n\n"
                + "\n".join(f"- {safe(f)}" for f in failures) + "\n")
    return f":wastebasket: Preview destroyed ({why}): {count} pod(s) terminated, state removed.\n"


class _Applied(Protocol):
    @property
    def converged(self) -> bool: ...

    @property
    def violations(self) -> tuple[str, ...]: ...

    def summary(self, unlock: bool = True) -> str: ...

    @property
    def failed(self) -> Sequence[Any]: ...


def _safe_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        row = {k: safe(v) if isinstance(v, str) else v for k, v in r.items()}
        row["endpoints"] = [e if _PLAIN_URL.fullmatch(e) else safe(e) for e in r["endpoints"]]
        out.append(row)
    return out


def preview_applied(result: _Applied, rows: Sequence[dict[str, Any]], policy: Preview,
                    head: str) -> str:
    limits = (f"Limit {money(policy.max_hourly_cost)}; destroyed when the pull request "
              f"closes, the `{policy.label}` label is removed, or after "
              f"{policy.ttl_hours:g} h. Policy from the default branch.")
    if result.violations:
        reasons = "\n".join(f"- {safe(v)}" for v in result.violations)
        return (f":no_entry: **Preview refused**, nothing deployed: it breaks the default "
                f"branch's preview policy:\n\n{reasons}\n\n{limits}\n")
    at = f" at `{head[:12]}`" if head else ""
    if not result.converged:
        failed = "\n".join(f"- {f.pod} {f.action}: {safe(f.detail)}" for f in result.failed)
        head_line = f":x: Preview not ready{at}: {safe(result.summary())}\n\n{failed}"
    else:
        head_line = f":white_check_mark: Preview ready{at}: {safe(result.summary())}"
    return f"{head_line}\n\n{rows_markdown(_safe_rows(rows))}\n{limits}\n"


class _Swept(Protocol):
    @property
    def reason(self) -> str: ...

    @property
    def terminated(self) -> int: ...

    @property
    def failures(self) -> tuple[str, ...]: ...

    @property
    def preview(self) -> LivePreview: ...


def swept(items: Sequence[_Swept], title: str) -> str:
    lines = []
    for s in items:
        mark = ":x:" if s.failures else ":wastebasket:"
        lines.append(f"- {mark} `{s.preview.name}`: {s.reason}; {s.terminated} pod(s) "
                     "terminated" + (f", {len(s.failures)} failed" if s.failures else ""))
    return f"### {title}\n\n" + safe("\n".join(lines)) + "\n"


# -- apply on merge: one result per stack ---------------------------------------------------
@dataclass(frozen=True)
class StackApplied:
    """What the merge's apply did with one stack."""

    stack: str
    outcome: str  # applied | refused | plan-changed | error
    detail: str = ""  # applied: the result's summary; otherwise the reason
    converged: bool = False
    changed: bool = False  # something on RunPod changed
    failed: tuple[str, ...] = ()  # "pod action: detail", for a partly failed apply
    reviewed: str = ""  # plan-changed: the reviewed and the current fingerprint
    now: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == "applied" and self.converged


@dataclass(frozen=True)
class AppliedRun:
    stacks: tuple[StackApplied, ...]
    pull: int | None = None  # the merged pull request the report goes to

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.stacks)

    @property
    def changed(self) -> bool:
        return any(s.changed for s in self.stacks)


def _applied_lines(s: StackApplied) -> list[str]:
    if s.outcome == "refused":
        return [f"- :no_entry: **{s.stack}**: {s.detail}"]
    if s.outcome == "plan-changed":
        return [f"- :no_entry: **{s.stack}**: plan changed since review — reviewed "
                f"`{s.reviewed}`, now `{s.now}`. Not applied."]
    if s.outcome == "error":
        return [f"- :x: **{s.stack}**: {s.detail}"]
    mark = ":white_check_mark:" if s.converged else ":x:"
    return [f"- {mark} {s.detail}", *(f"  - failed: {f}" for f in s.failed)]


def applied_markdown(result: AppliedRun) -> str:
    """The job summary's and the merged pull request's apply report."""
    lines = [line for s in result.stacks for line in _applied_lines(s)]
    return "### gitops-runner apply\n\n" + safe("\n".join(lines)) + "\n"


def applied_summary(result: AppliedRun) -> str:
    """The `summary` output: the one stack's line, or a count."""
    if len(result.stacks) == 1:
        return _applied_lines(result.stacks[0])[0].lstrip("- ")
    return f"applied {len(result.stacks)} stack(s)"


def run_link(url: str) -> str:
    return f"\n_[Run]({url})_\n"


def refused(reason: str) -> str:
    return f"**Refused**: {reason}\n"


def error(text: str) -> str:
    return f"**Error**: {text}"


def warning(text: str) -> str:
    return f"> [!WARNING]\n> {text}\n"


def invalid_files(problems: Sequence[tuple[str, int, int, str]]) -> str:
    return "### Invalid deploy files\n\n" + "\n".join(
        f"- `{file}:{line}:{col}` {message}" for file, line, col, message in problems) + "\n"


def no_files(patterns: str) -> str:
    return f"No deploy files match `{patterns}`."


def schedule_block(text: str) -> str:
    return "### gitops-runner schedule\n\n```\n" + text.replace("```", "") + "\n```\n"


def planned_footer(sha: str, run_url: str) -> str:
    return f"_Planned at {sha[:12]} by [this run]({run_url})._"


def plan_summary(changes: int, stacks: int, violations: int) -> str:
    return (f"{changes} change(s) in {stacks} stack(s)"
            + (f", {violations} guardrail violation(s)" if violations else ""))


def destroyed(stack: str, count: int, failed: int) -> str:
    return f"- {stack}: {count} pod(s) terminated" + (f", {failed} failed" if failed else "")


def previewed_footer(head: str, run_url: str) -> str:
    return f"_Previewed at {head[:12]} by [this run]({run_url})._"


def plan_section(markdown: str) -> str:
    """A stack's plan (report/plan.py), defused for a comment: text from deploy files and
    RunPod cannot mention, link or hide a marker."""
    return safe(markdown)


def drift(results: Sequence[StackDrift], orphans: Sequence[LivePreview] = ()) -> str:
    return safe(drift_markdown(results, orphans))


def not_planned(stack: str, error: str) -> str:
    """A stack whose state could not be read: shown without a fingerprint, so its merge
    applies nothing (CONTRACT §10)."""
    return safe(f"### Stack `{stack}`\n\n**Not planned:** {error}\n")


def plan_brief(plan: Plan) -> str:
    """A stack's plan when the comment is too long for it: the counts, and every pod it
    terminates (a delete, or a replace that drops the old pod and its volume), so a
    reviewer never approves a destruction they could not see."""
    lines = [summary_line(plan)]
    lines += [f"- `{a.pod}`: {a.action} (terminates pod {(a.before or {}).get('id', '?')}"
              + "".join(f"; {d.describe()}" for d in a.destroys) + ")"
              for a in plan.actions if a.action in ("delete", "replace")]
    lines += [f"- `volume {a.volume} [{a.data_center}]`: delete (destroys {d['size_gb']} GB, "
              f"{d['name']})" for a in plan.volume_actions for d in a.destroys]  # CONTRACT §14
    return safe("\n".join(lines))


# -- previews: one outcome per preview -------------------------------------------------------
@dataclass(frozen=True)
class PreviewOutcome:
    """What the preview flow did with one preview on one pull request event."""

    name: str  # the preview stack
    kind: str  # applied | refused-local | revoked | destroyed | failed
    detail: str = ""  # failed: the error; destroyed: why; refused-local: the base stack
    terminated: int = 0
    failures: tuple[str, ...] = ()
    label: str = ""  # revoked: the label, whether it was taken off, the new head
    removed: bool = False
    head: str = ""
    result: _Applied | None = None  # applied: the apply, the pods' rows, the policy
    rows: tuple[dict[str, Any], ...] = ()
    policy: Preview | None = None

    @property
    def ok(self) -> bool:
        if self.kind == "applied":
            return self.result is not None and self.result.converged
        return self.kind in ("revoked", "refused-local") or \
            (self.kind == "destroyed" and not self.failures)


def preview_markdown(o: PreviewOutcome) -> str:
    title = preview_title(o.name)
    if o.kind == "applied" and o.result is not None and o.policy is not None:
        return title + preview_applied(o.result, o.rows, o.policy, o.head)
    if o.kind == "destroyed":
        return title + preview_destroyed(o.detail, o.terminated, o.failures)
    if o.kind == "revoked":
        return title + preview_revoked(o.label, o.head, o.removed)
    if o.kind == "refused-local":
        return title + preview_refused_local(o.detail)
    return title + preview_failed(o.detail)
