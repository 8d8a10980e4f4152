"""REST calls the preview flow makes (CONTRACT §12): a file as the default branch has it,
and taking a label off a pull request."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import quote

from gitops_runner.github.api import GitHubClient, GitHubError


def file_at(gh: GitHubClient, owner: str, repo: str, path: str, ref: str) -> bytes | None:
    """GET /repos/{owner}/{repo}/contents/{path}?ref={ref}: the file's bytes, None when the
    ref has no such file (404). Other errors raise: a policy we cannot read is no policy."""
    try:
        found = gh.get(f"/repos/{owner}/{repo}/contents/{quote(path)}", {"ref": ref})
    except GitHubError as exc:
        if exc.status == 404:
            return None
        raise
    if not isinstance(found, dict) or found.get("type") != "file":
        return None
    if found.get("encoding") != "base64":
        raise GitHubError(f"GitHub sent {path} at {ref} as {found.get('encoding')!r}, not "
                          "base64 (files over 1 MB are not served by the contents API)")
    try:
        return base64.b64decode(str(found.get("content") or ""))
    except (binascii.Error, ValueError):
        raise GitHubError(f"GitHub sent {path} at {ref} in a shape that does not decode") \
            from None


def remove_label(gh: GitHubClient, owner: str, repo: str, number: int, label: str) -> bool:
    """DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}. False when the pull
    request did not carry it (GitHub answers 404 "Label does not exist")."""
    try:
        gh.request("DELETE", f"/repos/{owner}/{repo}/issues/{number}/labels/"
                             f"{quote(label, safe='')}")
    except GitHubError as exc:
        if exc.status == 404:
            return False
        raise
    return True
