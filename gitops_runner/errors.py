"""The root error type. Subclasses live beside the code that raises them.

Every message is written for the person running the command: what went wrong,
where, the likely cause, and what to do next.
"""

from __future__ import annotations


class GitopsError(Exception):
    """An error the user can act on; the CLI prints it as one line and exits 1."""

    exit_code = 1


class UsageError(GitopsError):
    """A command was called in a way that cannot work (missing file, bad flag mix)."""
