"""All terminal output goes through here, with secrets redacted as a last defence.

Reports go to stdout, logs and progress to stderr. Streams are injectable so tests
can capture exactly what a user would see.

The plan core already shows `(sensitive)` for every value state does not prove plain;
this redactor is the second net. It never breaks structure: in JSON only the insides of
string values change, hidden comment markers are left whole, and values that are syntax
(`null`, `true`, no letter or digit at all) are not secrets worth the name. It also finds
a secret in the escaped forms an API may echo it in (`\\"`, `\\u003c`, `\\u00e4`, `\\n`).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

REDACTED = "***"
# Values shorter than this are not redacted: masking "1" or "true" would garble
# every report and they are not secrets worth the name.
_MIN_SECRET_LEN = 4
_SYNTAX_WORDS = {"null", "true", "false", "none"}
# Words gitops-runner prints itself, as values of its reports (actions, classes, statuses,
# kinds; schemas/reports/ enums). Secret values never enter a report (the plan core shows
# "(sensitive)"); this net cannot tell a secret spelled like one of these words from the
# tool's own word, and masking it would corrupt every report, so it leaves them alone and
# Session.secret_values warns that such a value is no secret worth the name.
SELF_WORDS = frozenset({
    "create", "update", "replace", "delete", "adopt", "start", "stop", "unchanged",
    "drift", "pending", "expired", "open", "closed", "running", "stopped", "exited",
    "healthy", "unhealthy", "missing", "usage", "config", "error", "interrupted",
    "unexpected", "apply", "plan", "destroy", "schedule", "status", "sandbox", "report",
    "recreate", "secure", "community", "local", "dynamodb", "preview", "sensitive",
})
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_KEY_FOLLOWS = re.compile(r"\s*:")
# Only the product's own marker grammar (github/comment.py) is left whole: anything else
# shaped like a marker is text, and a secret inside it is redacted like anywhere else.
_MARKER = re.compile(
    r"<!-- gitops-runner:(?:stack stack=[a-z0-9-]+/[a-z0-9-]+ fingerprint=(?:[0-9a-f]{64}|none)"
    r"|comment kind=[a-z]+ part=[0-9]+/[0-9]+ v=[0-9][0-9a-z.+]*"
    r"|drift stack=[a-z0-9-]+/[a-z0-9-]+) -->")


def self_word(value: str) -> bool:
    """Whether `value` is one of the words the tool prints itself (or JSON syntax)."""
    word = value.strip().lower()
    return word in _SYNTAX_WORDS or word in SELF_WORDS


def _worth_redacting(value: str) -> bool:
    return (len(value) >= _MIN_SECRET_LEN and not self_word(value)
            and any(ch.isalnum() for ch in value))


def _forms(secret: str) -> set[str]:
    """The secret as written, and as JSON (also Go's HTML-safe JSON) or repr() escape it."""
    forms = {secret, repr(secret)[1:-1]}
    for ascii_only in (False, True):
        escaped = json.dumps(secret, ensure_ascii=ascii_only)[1:-1]
        go = escaped.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        forms |= {escaped, go, escaped.replace("/", "\\/"), json.dumps(escaped)[1:-1]}
    # Text posted to GitHub is neutralised (a zero-width space after @, in ://, www.):
    # a secret shaped like a URL or DSN must be caught in that form too.
    return forms | {neutralise_markdown(f) for f in forms}


def _replace_all(text: str, forms: list[str]) -> str:
    for form in forms:
        if form in text:
            text = text.replace(form, REDACTED)
    return text


def _redact_json(text: str, forms: list[str]) -> str:
    def literal(match: re.Match[str]) -> str:
        raw = match.group(0)
        if _KEY_FOLLOWS.match(text, match.end()):
            return raw  # an object key: the tool's own name, never data
        if not any(f in raw or f in _decoded(raw) for f in forms):
            return raw
        return json.dumps(_replace_all(_decoded(raw), forms), ensure_ascii=False)

    return _JSON_STRING.sub(literal, text)


def _decoded(literal: str) -> str:
    try:
        value = json.loads(literal)
    except ValueError:
        return literal
    return value if isinstance(value, str) else literal


def _is_json(text: str) -> bool:
    if not text.lstrip().startswith(("{", "[")):
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def redact_with(text: str, forms: list[str]) -> str:
    """Redact `forms` (longest first) from `text`, keeping JSON and markers well-formed."""
    if not forms:
        return text
    if _is_json(text):
        return _redact_json(text, forms)
    parts, last = [], 0
    for marker in _MARKER.finditer(text):
        parts.append(_replace_all(text[last:marker.start()], forms))
        parts.append(marker.group(0))
        last = marker.end()
    parts.append(_replace_all(text[last:], forms))
    return "".join(parts)


def _all_forms(secrets: Iterable[str]) -> list[str]:
    forms: set[str] = set()
    for secret in secrets:
        if secret and _worth_redacting(secret):
            forms |= {f for f in _forms(secret) if _worth_redacting(f)}
    # Longest first so a secret containing another is fully masked.
    return sorted(forms, key=len, reverse=True)


@dataclass(frozen=True)
class ErrorInfo:
    """The error a run ended with, kept so `--format json` can print it as a document.
    `problems` are config problems (file, line, col, message)."""

    kind: str  # usage | config | error | interrupted | unexpected
    message: str
    problems: tuple[Any, ...] = ()


@dataclass
class Output:
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    secrets: set[str] = field(default_factory=set)
    color: bool = False
    # In GitHub Actions, text from deploy files, RunPod or pods must not become a
    # workflow command: report() and log() neutralise it, command() is the one way out.
    workflow_commands: bool = False
    # Whether a report reached stdout, and the error the run ended with (cli.main).
    reported: bool = False
    last_error: ErrorInfo | None = None

    def add_secrets(self, values: Iterable[str]) -> None:
        for value in values:
            if value and _worth_redacting(value):
                self.secrets.add(value)

    def err_is_tty(self) -> bool:
        """Whether logs go to a terminal (progress heartbeats are for people watching)."""
        isatty = getattr(self.err, "isatty", None)
        return bool(isatty and isatty())

    def redact(self, text: str) -> str:
        return redact_with(text, _all_forms(self.secrets))

    def _safe(self, text: str) -> str:
        text = self.redact(text)
        return neutralise(text) if self.workflow_commands else text

    def report(self, text: str = "", end: str = "\n") -> None:
        self.out.write(self._safe(text) + end)
        self.out.flush()
        self.reported = True

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
    return redact_with(text, _all_forms(secrets))


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


_MENTION = re.compile(r"@(?=[A-Za-z0-9_-])")


def neutralise_markdown(text: str) -> str:
    """Text from deploy files, RunPod or pods, made safe to post on GitHub: no @mentions
    that ping, no links or autolinks that lead anywhere, no HTML comment that could pass
    for one of our hidden markers."""
    text = _MENTION.sub("@" + _ZWSP, text)
    text = text.replace("<!--", "<!" + _ZWSP + "--").replace("://", ":" + _ZWSP + "//")
    return re.sub(r"(?i)\bwww\.", lambda m: m.group(0)[:3] + _ZWSP + ".", text)


def error_report(error: ErrorInfo, exit_code: int) -> str:
    """The JSON document an error is with --format json (schemas/reports/error.schema.json):
    the first problem's file, line and column when a deploy file is at fault."""
    first = error.problems[0] if error.problems else None
    body: dict[str, Any] = {
        "kind": error.kind, "message": error.message, "exit_code": exit_code,
        "file": getattr(first, "file", None), "line": getattr(first, "line", None),
        "col": getattr(first, "col", None),
        "problems": [{"file": p.file, "line": p.line, "col": p.col, "message": p.message}
                     for p in error.problems]}
    return json.dumps({"format_version": 1, "error": body}, indent=2)
