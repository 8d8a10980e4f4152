"""The sticky pull-request comment on GitHub: its hidden markers (the one piece of text
this package writes), finding our comments and updating them over REST. What a comment
says, and how it is split into parts, is report/comment.py's."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NewType

from gitops_runner import __version__
from gitops_runner.github.api import GitHubClient

CommentUrl = NewType("CommentUrl", str)
DEFAULT_AUTHOR = "github-actions[bot]"
_PART = re.compile(r"<!-- gitops-runner:comment kind=(?P<kind>\w+) part=(?P<part>\d+)/"
                   r"(?P<total>\d+) v=(?P<version>[^ ]+) -->")
_STACK = re.compile(r"<!-- gitops-runner:stack stack=(?P<stack>[a-z0-9-]+/[a-z0-9-]+) "
                    r"fingerprint=(?P<fingerprint>[0-9a-f]{64}|none) -->")


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


def marker_lines(body: str) -> list[str]:
    """Lines that may be markers: whole lines outside fenced code blocks."""
    lines, fence = [], ""
    for line in body.splitlines():
        stripped = line.lstrip()
        if fence and stripped.startswith(fence):
            fence = ""
        elif not fence and stripped[:3] in ("```", "~~~"):
            fence = stripped[:3]
        elif not fence:
            lines.append(line)
    return lines


def parse_fingerprints(bodies: Sequence[str]) -> dict[str, str | None]:
    """Each stack's reviewed fingerprint, from the bot's own marker lines only. A stack
    marked twice with different fingerprints has none (fail closed)."""
    found: dict[str, str | None] = {}
    for body in bodies:
        for line in marker_lines(body):
            m = _STACK.fullmatch(line)
            if not m:
                continue
            stack, fp = m.group("stack"), m.group("fingerprint")
            value = None if fp == "none" else fp
            found[stack] = value if found.get(stack, value) == value else None
    return found


def is_author(raw: dict[str, object], author: str) -> bool:
    """Whether a comment or issue was written by the trusted login. A `[bot]` login must
    also be a Bot account (a User cannot take such a login, but the check costs nothing)."""
    user = raw.get("user")
    if not isinstance(user, dict) or user.get("login") != author:
        return False
    return not author.endswith("[bot]") or user.get("type") == "Bot"


def render_part_marker(kind: str, part: int, total: int) -> str:
    return f"<!-- gitops-runner:comment kind={kind} part={part}/{total} v={__version__} -->"


def parse_part_marker(body: str) -> tuple[str, int, int] | None:
    m = _PART.search(body[:300])
    return (m.group("kind"), int(m.group("part")), int(m.group("total"))) if m else None


def find_comments(gh: GitHubClient, owner: str, repo: str, number: int,
                  kind: str, author: str = DEFAULT_AUTHOR) -> list[Comment]:
    """Our comments of `kind`: carrying our part marker AND written by `author`."""
    found = []
    for raw in gh.paginate(f"/repos/{owner}/{repo}/issues/{number}/comments"):
        if not is_author(raw, author):
            continue
        parsed = parse_part_marker(str(raw.get("body") or ""))
        if parsed and parsed[0] == kind:
            found.append(Comment(int(raw["id"]), CommentUrl(str(raw.get("html_url", ""))),
                                 kind, parsed[1], parsed[2], str(raw.get("body"))))
    return sorted(found, key=lambda c: (c.part, c.id))


def upsert(gh: GitHubClient, owner: str, repo: str, number: int, kind: str,
           bodies: Sequence[str], author: str = DEFAULT_AUTHOR) -> list[CommentUrl]:
    """Edit our comments in place (by part), add missing parts, delete surplus ones.
    Only comments by `author` are ours: nobody else's is ever edited or deleted."""
    existing = find_comments(gh, owner, repo, number, kind, author)
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
