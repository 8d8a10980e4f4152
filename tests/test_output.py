"""Output in GitHub Actions: echoed text cannot become a workflow command."""

from __future__ import annotations

import io

import pytest

from gitops_runner.output import Output, neutralise


@pytest.mark.parametrize("text", [
    "::warning::pwned", "  ::add-mask::x", "\t::error file=a::b", "ok\n::set-env name=A::1",
    "ok\r::debug::x", "pod ##[group]name", "\u2003::notice::wide space"])
def test_output_neutralise_breaks_every_command_form(text: str) -> None:
    for line in neutralise(text).replace("\r", "\n").splitlines():
        assert not line.lstrip().startswith("::") and "##[" not in line


@pytest.mark.parametrize("text", ["plain", "a :: b", "time 10::20", "# heading"])
def test_output_neutralise_leaves_ordinary_text_alone(text: str) -> None:
    assert neutralise(text) == text


def test_output_in_actions_neutralises_reports_and_logs_but_not_commands() -> None:
    out, err = io.StringIO(), io.StringIO()
    o = Output(out=out, err=err, workflow_commands=True)
    o.report("::warning::from a pod name")
    o.log("##[error]from RunPod")
    o.command("::warning::ours")
    assert out.getvalue().splitlines() == [":\u200b:warning::from a pod name", "::warning::ours"]
    assert err.getvalue() == "#\u200b#[error]from RunPod\n"


def test_output_outside_actions_prints_text_as_is() -> None:
    out = io.StringIO()
    Output(out=out, err=io.StringIO()).report("::not-a-runner::")
    assert out.getvalue() == "::not-a-runner::\n"
