"""The sticky pull-request comment: its hidden markers, rendering, splitting,
finding and updating. The GitHub plumbing here knows nothing about RunPod."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NewType

from gitops_runner import __version__
from gitops_runner.github.api import GitHubClient
from gitops_runner.output import neutralise_markdown as neutralise_markdown  # the Action uses it from here

CommentUrl = NewType("CommentUrl", str)
MAX_BODY = 65536
# A plan past this many comments is summarised instead, with a link to the job summary:
# a pull request's conversation is not the place for 85 comments of plan.
MAX_PARTS = 4
DEFAULT_AUTHOR = "github-actions[bot]"
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
    markdown: str  # already neutralised (see neutralise_markdown) and redacted
    brief: str = ""  # one line, for a comment too long to hold the whole plan


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


_MENTION = re.compile(r"@(?=[A-Za-z0-9_-])")


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


def fit_parts(title: str, sections: Sequence[StackSection], footer: str, preamble: str,
              summary_url: str, max_parts: int = MAX_PARTS) -> list[str]:
    """The comment's parts; past `max_parts`, each stack's brief and a link to the job
    summary instead of the whole plan (the markers, and so the review, are kept)."""
    parts = split_parts(render_sections(title, sections, footer, preamble))
    if len(parts) <= max_parts:
        return parts
    short = [StackSection(s.stack, s.fingerprint, (s.markdown.splitlines() or [""])[0] + "\n\n"
                          + (s.brief or "The plan for this stack is too long for a comment.")
                          + f" The whole plan is in the [job summary]({summary_url}).\n")
             for s in sections]
    note = preamble if len(preamble) < _BUDGET // 4 else "Some deploy files are invalid: " \
        f"see the [job summary]({summary_url}).\n"
    return split_parts(render_sections(title, short, footer, note))[:max_parts]


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
