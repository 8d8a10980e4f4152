"""Step outputs ($GITHUB_OUTPUT), the job summary ($GITHUB_STEP_SUMMARY) and the
::add-mask:: lines: the one writer for each of GitHub's file and mask channels."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable

from gitops_runner.errors import GitopsError

# GitHub refuses a step summary over 1 MiB ("$GITHUB_STEP_SUMMARY upload aborted,
# supports content up to a size of 1024k"); keep well under it.
SUMMARY_LIMIT = 1024 * 1024 - 16 * 1024
_CUT_NOTE = ("\n\n> [!WARNING]\n> The rest of this summary was cut: GitHub keeps at most 1 MiB "
             "per step. The run's log has everything.\n")


class FileCommandError(GitopsError):
    """A GitHub file-command file ($GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY) cannot be written."""

    def __init__(self, what: str, path: str, exc: OSError) -> None:
        detail = exc.strerror or type(exc).__name__
        super().__init__(
            f"cannot write {what} to {path}: {detail} (running as uid {os.getuid()}; the file is "
            f"owned by uid {_owner(path)}). Whatever the run did before this is done; its "
            "report is in the log above. The container must start as root (no USER in the "
            "image) so it can take the workspace owner's uid")


def _owner(path: str) -> str:
    try:
        return str(os.stat(path).st_uid)
    except OSError:
        return "?"


def _append(what: str, path: str, text: str) -> None:
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise FileCommandError(what, path, exc) from None


def check_writable(what: str, path: str) -> None:
    """Fail before changing anything if a file command could not be written later."""
    if path and os.path.exists(path) and not os.access(path, os.W_OK):
        raise FileCommandError(what, path, PermissionError(13, "Permission denied"))


def write_outputs(path: str, values: dict[str, str]) -> None:
    """Each value in a heredoc with a random delimiter, so no value can end it early."""
    if not path:
        return
    text = ""
    for name, value in values.items():
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        text += f"{name}<<{delimiter}\n{value}\n{delimiter}\n"
    _append("the step outputs ($GITHUB_OUTPUT)", path, text)


def cap_summary(markdown: str, room: int) -> str:
    """At most `room` bytes of UTF-8, cut at a line end, with a note saying so."""
    raw = markdown.encode()
    if len(raw) <= room:
        return markdown
    keep = raw[: max(0, room - len(_CUT_NOTE.encode()) - 4)].decode("utf-8", errors="ignore")
    keep = keep[: keep.rfind("\n") + 1] if "\n" in keep else keep
    if keep.count("```") % 2:
        keep += "```\n"
    return keep + _CUT_NOTE


def append_summary(path: str, markdown: str) -> None:
    if not path:
        return
    used = os.path.getsize(path) if os.path.exists(path) else 0
    text = cap_summary(markdown.rstrip("\n") + "\n", SUMMARY_LIMIT - used)
    _append("the job summary ($GITHUB_STEP_SUMMARY)", path, text)


def escape_data(text: str) -> str:
    """Workflow-command data escaping (actions/toolkit core: escapeData)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def mask_lines(values: Iterable[str]) -> list[str]:
    """::add-mask:: for each value and for each of its lines: GitHub masks log lines one at
    a time, so line 2 of a PEM key is only hidden if it is a mask of its own."""
    lines: list[str] = []
    for value in values:
        if not value or not value.strip():
            continue
        parts = [value] + [p.strip() for p in value.splitlines() if p.strip()]
        for part in dict.fromkeys(parts):
            lines.append(f"::add-mask::{escape_data(part)}")
    return lines
