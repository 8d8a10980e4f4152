from __future__ import annotations

from pathlib import Path

import pytest

from gitops_runner.github.api import GitHubClient, run_finished
from gitops_runner.github.outputs import (
    SUMMARY_LIMIT,
    FileCommandError,
    append_summary,
    mask_lines,
    write_outputs,
)
from tests.fakes.github import fake_github


def test_outputs_use_random_heredoc_delimiters(tmp_path: Path) -> None:
    path = tmp_path / "out"
    write_outputs(str(path), {"summary": "line1\nghadelimiter_x\nline3", "has-changes": "true"})
    text = path.read_text().splitlines()
    delimiter = text[0].split("<<", 1)[1]
    assert text[0] == f"summary<<{delimiter}" and text[4] == delimiter
    assert text[1:4] == ["line1", "ghadelimiter_x", "line3"]
    second = text[5].split("<<", 1)[1]
    assert second != delimiter and len(delimiter) > 30


def test_outputs_summary_appends(tmp_path: Path) -> None:
    path = tmp_path / "summary"
    append_summary(str(path), "a")
    append_summary(str(path), "b\n")
    assert path.read_text() == "a\nb\n"
    append_summary("", "ignored")


def test_outputs_mask_lines_skip_empty_values() -> None:
    assert mask_lines(["x1", "", "  "]) == ["::add-mask::x1"]


def test_outputs_mask_lines_each_line_escaped() -> None:
    assert mask_lines(["a%b\r\n  c  \n"]) == ["::add-mask::a%25b%0D%0A  c  %0A",
                                                "::add-mask::a%25b", "::add-mask::c"]


def test_outputs_summary_stays_under_one_mebibyte(tmp_path: Path) -> None:
    path = tmp_path / "summary"
    path.write_text("x" * 1000 + "\n")
    append_summary(str(path), "```\n" + "line of plan\n" * 200_000)
    text = path.read_text()
    assert len(text.encode()) <= SUMMARY_LIMIT < 1024 * 1024
    assert "The rest of this summary was cut" in text
    assert text.count("```") % 2 == 0


def test_outputs_unwritable_file_is_a_named_error(tmp_path: Path) -> None:
    bad = str(tmp_path / "missing-dir" / "out")
    with pytest.raises(FileCommandError, match=r"cannot write the step outputs "
                                               r"\(\$GITHUB_OUTPUT\) to .*out: No such file"):
        write_outputs(bad, {"a": "b"})


def test_github_run_finished_reads_the_run_status() -> None:
    with fake_github() as (api, state):
        state.runs["77"] = {"id": 77, "status": "in_progress"}
        gh = GitHubClient(api, "t")
        url = "https://github.com/acme/models/actions/runs/77"
        assert run_finished(gh, url) == (False, "run 77 is in_progress")
        state.runs["77"]["status"] = "completed"
        assert run_finished(gh, url) == (True, "run 77 is completed")
        assert run_finished(gh, "nonsense")[0] is False
