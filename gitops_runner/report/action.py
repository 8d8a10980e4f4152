"""What the GitHub Action says: the markdown of the pull request comment and the job
summary (CONTRACT §8, §12). Pure: results in, neutralised markdown out (redaction is the
caller's, which holds the secrets)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

from gitops_runner.config.model import Preview
from gitops_runner.output import neutralise_markdown as safe
from gitops_runner.plan.previews import LivePreview
from gitops_runner.report.plan import money
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
