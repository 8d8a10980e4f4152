"""All terminal output goes through here, with secrets redacted as a last defence.

Reports go to stdout, logs and progress to stderr. Streams are injectable so tests
can capture exactly what a user would see.
"""

from __future__ import annotations

import re
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
    # In GitHub Actions, text from deploy files, RunPod or pods must not become a
    # workflow command: report() and log() neutralise it, command() is the one way out.
    workflow_commands: bool = False

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

    def _safe(self, text: str) -> str:
        text = self.redact(text)
        return neutralise(text) if self.workflow_commands else text

    def report(self, text: str = "", end: str = "\n") -> None:
        self.out.write(self._safe(text) + end)
        self.out.flush()

    def log(self, text: str, end: str = "\n") -> None:
        self.err.write(self._safe(text) + end)
        self.err.flush()

    def command(self, line: str, redact: bool = True) -> None:
        """A workflow command we mean (::add-mask::, ::error ..., ::warning::), one line
        to stdout. Its data must already be escaped (%, CR, LF); ::add-mask:: lines pass
        redact=False, or they would mask the mask."""
        self.out.write((self.redact(line) if redact else line) + "\n")
        self.out.flush()


def redact_text(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted((s for s in secrets if s and len(s) >= _MIN_SECRET_LEN),
                         key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


# The runner reads a command from any line whose text, leading whitespace trimmed, starts
# with "::", and from "##[" anywhere in a line; lines end at CR or LF (actions/runner,
# src/Runner.Common/ActionCommand.cs: TryParseV2 TrimStart + StartsWith("::"), TryParse
# IndexOf("##[")). A zero-width space breaks both without changing what a reader sees.
_ZWSP = "\u200b"
_LINE_START_COMMAND = re.compile(r"(^|[\r\n])(\s*)::")


def neutralise(text: str) -> str:
    """Text that cannot start a workflow command, whatever its lines hold."""
    text = text.replace("##[", "#" + _ZWSP + "#[")
    return _LINE_START_COMMAND.sub(lambda m: f"{m.group(1)}{m.group(2)}:{_ZWSP}:", text)
