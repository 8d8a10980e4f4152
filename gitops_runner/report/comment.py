"""The pull request comment's text (CONTRACT §8): sections per stack, split into parts
under GitHub's 65,536 characters, summarised past a few parts, numbered. Pure. The hidden
markers' grammar is github/comment.py's; it is passed in as functions."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

MAX_BODY = 65536
# A plan past this many comments is summarised instead, with a link to the job summary:
# a pull request's conversation is not the place for 85 comments of plan.
MAX_PARTS = 4
# Room for the part marker and the "continued" lines added around each part.
_BUDGET = MAX_BODY - 600
_MENTION = re.compile(r"@(?=[A-Za-z0-9_-])")

StackMarker = Callable[[str, "str | None"], str]  # (stack, fingerprint) -> marker line
PartMarker = Callable[[int, int], str]  # (part, total) -> marker line


@dataclass(frozen=True)
class StackSection:
    stack: str
    fingerprint: str | None  # None: no plan (e.g. invalid config), nothing to compare
    markdown: str  # already neutralised (output.neutralise_markdown) and redacted
    brief: str = ""  # a few lines (counts, what it destroys), for a comment too long


def render_sections(title: str, sections: Sequence[StackSection], footer: str,
                    preamble: str, marker: StackMarker) -> list[str]:
    """The text of each stack's section, marker first; the title (and any preamble,
    such as validation errors) opens the first."""
    out = [f"## {title}\n\n{preamble.strip()}\n"] if preamble.strip() else []
    for i, s in enumerate(sections):
        head = f"## {title}\n\n" if i == 0 and not out else ""
        out.append(f"{head}{marker(s.stack, s.fingerprint)}\n{s.markdown.strip()}\n")
    if out:
        out[-1] += f"\n{footer}\n"
    else:
        out.append(f"## {title}\n\nNo deploy files matched.\n\n{footer}\n")
    return out


def _split_long(text: str, budget: int) -> list[str]:
    """Split by lines; a cut inside a ``` block closes it and reopens it in the next chunk."""
    chunks: list[str] = []
    current = ""
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        if len(current) + len(line) + 8 > budget and current:
            if fence is not None:
                current += "```\n"
            chunks.append(current)
            current = f"{fence}\n" if fence is not None else ""
        if len(line) > budget:
            line = line[: budget - 100] + " …(line cut)\n"
        current += line
        if line.lstrip().startswith("```"):
            fence = None if fence is not None else line.strip()
    if current:
        chunks.append(current)
    return chunks


def split_parts(sections: Sequence[str], budget: int = _BUDGET) -> list[str]:
    parts: list[str] = []
    current = ""
    for section in sections:
        pieces = [section] if len(section) <= budget else _split_long(section, budget)
        for piece in pieces:
            if current and len(current) + len(piece) > budget:
                parts.append(current)
                current = ""
            current += piece + "\n"
    if current:
        parts.append(current)
    return parts


def number_parts(parts: Sequence[str], marker: PartMarker) -> list[str]:
    """Number the parts; neutralise @mentions, so text from a deploy file cannot make
    the bot ping people."""
    parts = [_MENTION.sub("@\u200b", p) for p in parts]
    total = len(parts)
    out = []
    for i, part in enumerate(parts, start=1):
        body = marker(i, total) + "\n"
        if i > 1:
            body += f"_(continued, part {i} of {total})_\n\n"
        body += part.rstrip("\n") + "\n"
        if i < total:
            body += f"\n_(continued in the next comment, part {i + 1} of {total})_\n"
        out.append(body)
    return out


def fit_parts(title: str, sections: Sequence[StackSection], footer: str, preamble: str,
              summary_url: str, marker: StackMarker, max_parts: int = MAX_PARTS) -> list[str]:
    """The comment's parts; past `max_parts`, each stack's brief and a link to the job
    summary instead of the whole plan (the markers, and so the review, are kept)."""
    parts = split_parts(render_sections(title, sections, footer, preamble, marker))
    if len(parts) <= max_parts:
        return parts
    short = [StackSection(s.stack, s.fingerprint, (s.markdown.splitlines() or [""])[0] + "\n\n"
                          + (s.brief or "The plan for this stack is too long for a comment.")
                          + f" The whole plan is in the [job summary]({summary_url}).\n")
             for s in sections]
    note = preamble if len(preamble) < _BUDGET // 4 else "Some deploy files are invalid: " \
        f"see the [job summary]({summary_url}).\n"
    return split_parts(render_sections(title, short, footer, note, marker))[:max_parts]


