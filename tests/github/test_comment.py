from __future__ import annotations

from functools import partial

import pytest

from gitops_runner.github import comment as gc
from gitops_runner.github.api import GitHubClient
from gitops_runner.output import neutralise_markdown
from gitops_runner.report import comment as rc
from tests.fakes.github import fake_github

FP = "a" * 64


def finalize(kind: str, parts: list[str]) -> list[str]:
    """The parts as the Action posts them: report/comment.py's text, GitHub's markers."""
    return rc.number_parts(parts, partial(gc.render_part_marker, kind))


def render_sections(title: str, sections: list[rc.StackSection], footer: str) -> list[str]:
    return rc.render_sections(title, sections, footer, "", gc.render_stack_marker)


def test_comment_stack_marker_round_trip() -> None:
    body = gc.render_stack_marker("llm/prod", FP) + "\n" + gc.render_stack_marker("x/dev", None)
    assert gc.parse_fingerprints([body]) == {"llm/prod": FP, "x/dev": None}


@pytest.mark.parametrize("body", ["", "<!-- gitops-runner:stack stack=BAD fingerprint=x -->",
                                  "<!-- gitops-runner:stack stack=a/b fingerprint=abc -->"])
def test_comment_messy_markers_are_ignored(body: str) -> None:
    assert gc.parse_fingerprints([body]) == {}


def test_comment_part_marker_round_trip() -> None:
    assert gc.parse_part_marker(gc.render_part_marker("plan", 2, 3) + "\ntext") == \
        ("plan", 2, 3)
    assert gc.parse_part_marker("no marker") is None


def big_section(stack: str, lines: int) -> rc.StackSection:
    code = "\n".join(f"+ pod-{i} create  NVIDIA L4 x1" for i in range(lines))
    return rc.StackSection(stack, FP, f"### Stack `{stack}`\n\n```diff\n{code}\n```\n")


def test_comment_split_never_cuts_inside_a_code_block() -> None:
    sections = render_sections("plan", [big_section("a/b", 6000), big_section("c/d", 10)],
                                  "footer")
    bodies = finalize("plan", rc.split_parts(sections))
    assert len(bodies) >= 3
    for i, body in enumerate(bodies, start=1):
        assert len(body) <= rc.MAX_BODY
        assert body.count("```") % 2 == 0, f"part {i} leaves a code block open"
        assert gc.parse_part_marker(body) == ("plan", i, len(bodies))
    joined = "".join(bodies)
    assert joined.count("+ pod-5999 create") == 1
    assert gc.parse_fingerprints(bodies) == {"a/b": FP, "c/d": FP}


def test_comment_small_plan_is_one_part() -> None:
    bodies = finalize("plan", rc.split_parts(render_sections(
        "plan", [big_section("a/b", 3)], "footer")))
    assert len(bodies) == 1 and "continued" not in bodies[0]


def test_comment_upsert_edits_parts_and_removes_surplus() -> None:
    with fake_github() as (api, state):
        gh = GitHubClient(api, "t")
        three = finalize("plan", ["one", "two", "three"])
        gc.upsert(gh, "o", "r", 5, "plan", three)
        ids = sorted(state.comments)
        assert len(ids) == 3
        two = finalize("plan", ["uno", "dos"])
        gc.upsert(gh, "o", "r", 5, "plan", two)
        assert sorted(state.comments) == ids[:2]
        assert [state.comments[i]["body"] for i in ids[:2]] == two
        gc.upsert(gh, "o", "r", 5, "plan", two)
        patches = [r for r in state.requests if r[0] == "PATCH"]
        assert len(patches) == 2, "an unchanged comment is not edited again"


def test_comment_pagination_finds_comments_on_later_pages() -> None:
    with fake_github() as (api, state):
        gh = GitHubClient(api, "t")
        for i in range(5):
            gh.post("/repos/o/r/issues/5/comments", {"body": f"someone else {i}"})
        gc.upsert(gh, "o", "r", 5, "plan", finalize("plan", ["mine"]))
        gc.upsert(gh, "o", "r", 5, "plan", finalize("plan", ["mine again"]))
        ours = [c for c in state.comments.values() if "kind=plan" in c["body"]]
        assert len(ours) == 1 and "mine again" in ours[0]["body"]


def test_comment_mentions_from_deploy_files_do_not_ping() -> None:
    (body,) = finalize("plan", ["image: '@octocat/evil' by @someone"])
    assert "@octocat" not in body and "@someone" not in body
    assert "@\u200bsomeone" in body


def test_comment_markers_in_echoed_text_are_defused() -> None:
    echoed = f"args: x\n<!-- gitops-runner:stack stack=app/prod fingerprint={'b' * 64} -->\n"
    section = rc.StackSection("app/prod", FP, neutralise_markdown(echoed))
    bodies = finalize("plan", rc.split_parts(render_sections("plan", [section], "f")))
    assert gc.parse_fingerprints(bodies) == {"app/prod": FP}


@pytest.mark.parametrize("body", [
    f"```\n<!-- gitops-runner:stack stack=app/prod fingerprint={'b' * 64} -->\n```\n",
    f"text <!-- gitops-runner:stack stack=app/prod fingerprint={'b' * 64} -->\n",
    f"~~~\n<!-- gitops-runner:stack stack=app/prod fingerprint={'b' * 64} -->\n~~~\n"])
def test_comment_markers_only_count_on_their_own_line_outside_code(body: str) -> None:
    assert gc.parse_fingerprints([body]) == {}


def test_comment_a_stack_marked_twice_differently_has_no_fingerprint() -> None:
    body = gc.render_stack_marker("a/b", FP) + "\n" + gc.render_stack_marker("a/b", "c" * 64)
    assert gc.parse_fingerprints([body]) == {"a/b": None}


def test_comment_neutralise_defuses_mentions_links_and_comments() -> None:
    text = neutralise_markdown("@octocat see https://evil.test and www.evil.test <!-- x -->")
    assert "@octocat" not in text and "https://" not in text and "www.evil" not in text
    assert "<!--" not in text


@pytest.mark.parametrize(("user", "trusted"), [
    ({"login": "github-actions[bot]", "type": "Bot"}, True),
    ({"login": "github-actions[bot]", "type": "User"}, False),
    ({"login": "mallory", "type": "User"}, False),
    (None, False)])
def test_comment_only_the_configured_bot_is_trusted(user: dict[str, str] | None,
                                                      trusted: bool) -> None:
    assert gc.is_author({"user": user}, "github-actions[bot]") is trusted


def test_comment_a_user_login_can_be_the_trusted_author() -> None:
    assert gc.is_author({"user": {"login": "deploy-bot", "type": "User"}}, "deploy-bot")


def test_comment_huge_plan_is_capped_with_a_link_and_keeps_markers() -> None:
    sections = [big_section("a/b", 40000), big_section("c/d", 3)]
    parts = rc.fit_parts("plan", sections, "footer", "", "https://run", gc.render_stack_marker,
                         max_parts=4)
    assert len(parts) == 1
    assert "[job summary](https://run)" in parts[0]
    assert gc.parse_fingerprints(parts) == {"a/b": FP, "c/d": FP}
