from __future__ import annotations

from pathlib import Path

from gitops_runner.github.api import GitHubClient, run_finished
from gitops_runner.github.outputs import append_summary, mask_lines, write_outputs
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
    assert mask_lines(["x1", ""]) == ["::add-mask::x1"]


def test_github_run_finished_reads_the_run_status() -> None:
    with fake_github() as (api, state):
        state.runs["77"] = {"id": 77, "status": "in_progress"}
        gh = GitHubClient(api, "t")
        url = "https://github.com/acme/models/actions/runs/77"
        assert run_finished(gh, url) == (False, "run 77 is in_progress")
        state.runs["77"]["status"] = "completed"
        assert run_finished(gh, url) == (True, "run 77 is completed")
        assert run_finished(gh, "nonsense")[0] is False
