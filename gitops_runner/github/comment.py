"""The sticky pull-request comment: its hidden markers, rendering, splitting,
finding and updating. The GitHub plumbing here knows nothing about RunPod."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NewType

from gitops_runner import __version__
from gitops_runner.github.api import GitHubClient

CommentUrl = NewType("CommentUrl", str)
MAX_BODY = 65536
# Room for the part marker and the "continued" lines added around each part.
_BUDGET = MAX_BODY - 600
_PART = re.compile(r"<!-- gitops-runner:comment kind=(?P<kind>\w+) part=(?P<part>\d+)/"
                   r"(?P<total>\d+) v=(?P<version>[^ ]+) -->")
_STACK = re.compile(r"<!-- gitops-runner:stack stack=(?P<stack>[a-z0-9-]+/[a-z0-9-]+) "
                    r"fingerprint=(?P<fingerprint>[0-9a-f]{64}|none) -->")


@dataclass(frozen=True)
class StackSection:
    stack: str
    fingerprint: str | None  # None: no plan (e.g. invalid config), nothing to compare
    markdown: str


@dataclass(frozen=True)
class Comment:
    id: int
    url: CommentUrl
    kind: str
    part: int
    total: int
    body: str


def render_stack_marker(stack: str, fingerprint: str | None) -> str:
    return f"<!-- gitops-runner:stack stack={stack} fingerprint={fingerprint or 'none'} -->"


def parse_fingerprints(bodies: Sequence[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for body in bodies:
        for m in _STACK.finditer(body):
            fp = m.group("fingerprint")
            found[m.group("stack")] = None if fp == "none" else fp
    return found


def render_part_marker(kind: str, part: int, total: int) -> str:
    return f"<!-- gitops-runner:comment kind={kind} part={part}/{total} v={__version__} -->"


def parse_part_marker(body: str) -> tuple[str, int, int] | None:
    m = _PART.search(body[:300])
    return (m.group("kind"), int(m.group("part")), int(m.group("total"))) if m else None


def render_sections(title: str, sections: Sequence[StackSection], footer: str,
                    preamble: str = "") -> list[str]:
    """The text of each stack's section, marker first; the title (and any preamble,
    such as validation errors) opens the first."""
    out = [f"## {title}\n\n{preamble.strip()}\n"] if preamble.strip() else []
    for i, s in enumerate(sections):
        head = f"## {title}\n\n" if i == 0 and not out else ""
        out.append(f"{head}{render_stack_marker(s.stack, s.fingerprint)}\n{s.markdown.strip()}\n")
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


_MENTION = re.compile(r"@(?=[A-Za-z0-9_-])")


def finalize(kind: str, parts: Sequence[str]) -> list[str]:
    """Number the parts; neutralise @mentions, so text from a deploy file cannot make
    the bot ping people."""
    parts = [_MENTION.sub("@\u200b", p) for p in parts]
    total = len(parts)
    out = []
    for i, part in enumerate(parts, start=1):
        body = render_part_marker(kind, i, total) + "\n"
        if i > 1:
            body += f"_(continued, part {i} of {total})_\n\n"
        body += part.rstrip("\n") + "\n"
        if i < total:
            body += f"\n_(continued in the next comment, part {i + 1} of {total})_\n"
        out.append(body)
    return out


def find_comments(gh: GitHubClient, owner: str, repo: str, number: int,
                  kind: str) -> list[Comment]:
    found = []
    for raw in gh.paginate(f"/repos/{owner}/{repo}/issues/{number}/comments"):
        parsed = parse_part_marker(str(raw.get("body") or ""))
        if parsed and parsed[0] == kind:
            found.append(Comment(int(raw["id"]), CommentUrl(str(raw.get("html_url", ""))),
                                 kind, parsed[1], parsed[2], str(raw.get("body"))))
    return sorted(found, key=lambda c: (c.part, c.id))


def upsert(gh: GitHubClient, owner: str, repo: str, number: int, kind: str,
           bodies: Sequence[str]) -> list[CommentUrl]:
    """Edit our comments in place (by part), add missing parts, delete surplus ones."""
    existing = find_comments(gh, owner, repo, number, kind)
    by_part: dict[int, Comment] = {}
    surplus = []
    for c in existing:
        if c.part in by_part:
            surplus.append(c)  # a duplicate left by a concurrent run: remove it
        else:
            by_part[c.part] = c
    urls = []
    for i, body in enumerate(bodies, start=1):
        if i in by_part:
            mine = by_part.pop(i)
            if mine.body != body:
                gh.patch(f"/repos/{owner}/{repo}/issues/comments/{mine.id}", {"body": body})
            urls.append(mine.url)
        else:
            made = gh.post(f"/repos/{owner}/{repo}/issues/{number}/comments", {"body": body})
            urls.append(CommentUrl(str(made.get("html_url", ""))))
    for c in list(by_part.values()) + surplus:
        gh.request("DELETE", f"/repos/{owner}/{repo}/issues/comments/{c.id}")
    return urls
