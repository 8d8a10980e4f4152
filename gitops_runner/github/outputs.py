"""Step outputs ($GITHUB_OUTPUT) and the job summary ($GITHUB_STEP_SUMMARY)."""

from __future__ import annotations

import secrets


def write_outputs(path: str, values: dict[str, str]) -> None:
    """Each value in a heredoc with a random delimiter, so no value can end it early."""
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        for name, value in values.items():
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def append_summary(path: str, markdown: str) -> None:
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(markdown.rstrip("\n") + "\n")


def mask_lines(values: list[str]) -> list[str]:
    return [f"::add-mask::{v}" for v in values if v]
