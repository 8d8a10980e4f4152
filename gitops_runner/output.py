"""All terminal output goes through here, with secrets redacted as a last defence.

Reports go to stdout, logs and progress to stderr. Streams are injectable so tests
can capture exactly what a user would see.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

REDACTED = "***"
# Values shorter than this are not redacted: masking "1" or "true" would garble
# every report and they are not secrets worth the name.
_MIN_SECRET_LEN = 4


@dataclass
class Output:
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    secrets: set[str] = field(default_factory=set)
    color: bool = False

    def add_secrets(self, values: Iterable[str]) -> None:
        for value in values:
            if value and len(value) >= _MIN_SECRET_LEN:
                self.secrets.add(value)

    def redact(self, text: str) -> str:
        # Longest first so a secret containing another is fully masked.
        for secret in sorted(self.secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def report(self, text: str = "", end: str = "\n") -> None:
        self.out.write(self.redact(text) + end)
        self.out.flush()

    def log(self, text: str, end: str = "\n") -> None:
        self.err.write(self.redact(text) + end)
        self.err.flush()


def redact_text(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted((s for s in secrets if s and len(s) >= _MIN_SECRET_LEN),
                         key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text
