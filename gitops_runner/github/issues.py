"""Drift issues: one open issue per drifted stack, found again by a hidden marker,
updated in place while drifted, closed with a comment once converged."""

from __future__ import annotations

import re

from gitops_runner.github.api import GitHubClient, GitHubError
from gitops_runner.github.comment import DEFAULT_AUTHOR, is_author, marker_lines

LABEL = "drift"
_MARKER = re.compile(r"<!-- gitops-runner:drift stack=(?P<stack>[a-z0-9-]+/[a-z0-9-]+) -->")


def drift_marker(stack: str) -> str:
    return f"<!-- gitops-runner:drift stack={stack} -->"


def parse_drift_marker(body: str) -> str | None:
    """The stack named by the marker on the body's first marker line, if it is one."""
    lines = marker_lines(body or "")
    m = _MARKER.fullmatch(lines[0]) if lines else None
    return m.group("stack") if m else None


def ensure_label(gh: GitHubClient, owner: str, repo: str) -> None:
    try:
        gh.post(f"/repos/{owner}/{repo}/labels",
                {"name": LABEL, "color": "d93f0b",
                 "description": "RunPod differs from what gitops-runner applied"})
    except GitHubError as exc:
        if exc.status != 422:  # 422: the label exists already
            raise


def open_drift_issues(gh: GitHubClient, owner: str, repo: str,
                      author: str = DEFAULT_AUTHOR) -> dict[str, dict[str, object]]:
    """Open drift issues by stack: labelled, marked, and opened by `author` (anyone can
    open an issue with our label and marker; theirs is never adopted, edited or closed)."""
    found: dict[str, dict[str, object]] = {}
    for issue in gh.paginate(f"/repos/{owner}/{repo}/issues",
                             {"labels": LABEL, "state": "open"}):
        if "pull_request" in issue or not is_author(issue, author):
            continue
        stack = parse_drift_marker(str(issue.get("body") or ""))
        if stack and stack not in found:
            found[stack] = issue
    return found


def sync_drift_issue(gh: GitHubClient, owner: str, repo: str, stack: str, drifted: bool,
                     body: str, existing: dict[str, dict[str, object]]) -> str:
    """Returns what was done: opened, updated, closed or nothing."""
    issue = existing.get(stack)
    full = f"{drift_marker(stack)}\n{body}"
    if drifted:
        if issue is None:
            ensure_label(gh, owner, repo)
            gh.post(f"/repos/{owner}/{repo}/issues",
                    {"title": f"Drift in {stack}", "body": full, "labels": [LABEL]})
            return "opened"
        if issue.get("body") != full:
            gh.patch(f"/repos/{owner}/{repo}/issues/{issue['number']}", {"body": full})
        return "updated"
    if issue is not None:
        gh.post(f"/repos/{owner}/{repo}/issues/{issue['number']}/comments",
                {"body": f"{stack} has converged: RunPod, the state and the deploy file agree "
                         "again. Closing."})
        gh.patch(f"/repos/{owner}/{repo}/issues/{issue['number']}",
                 {"state": "closed", "state_reason": "completed"})
        return "closed"
    return "nothing"
