"""The output redactor: a second net that also catches escaped forms and never breaks
JSON or the comment markers."""

from __future__ import annotations

import io
import json

import pytest

from gitops_runner.output import REDACTED, Output, neutralise, redact_text


@pytest.mark.parametrize("secret, echoed", [
    ('pa"ss<word>', json.dumps({"detail": 'env "pa\\"ss\\u003cword\\u003e" rejected'})),
    ("pässwört", 'RunPod said: {"env": {"K": "p\\u00e4ssw\\u00f6rt"}}'),
    ("line1\nline2", 'body {"K": "line1\\nline2"}'),
    ("sl/ash-secret", '{"K": "sl\\/ash-secret"}'),
])
def test_redact_escaped_forms_of_a_secret(secret: str, echoed: str) -> None:
    out = redact_text(echoed, [secret])
    assert REDACTED in out
    assert "ss\\u003cword" not in out and "\\u00e4ssw" not in out
    assert "line2" not in out and "ash-secret" not in out


def test_redact_secret_null_keeps_plan_json_valid() -> None:
    plan = json.dumps({"after": None, "flag": True, "env": {"K": "null value"}}, indent=2)
    out = redact_text(plan, ["null", "true"])
    assert json.loads(out) == json.loads(plan)


def test_redact_inside_json_string_values_only() -> None:
    plan = json.dumps({"reasons": ["env.K: 'hunter22' -> (sensitive)"], "count": 1234})
    out = redact_text(plan, ["hunter22", "1234"])
    assert json.loads(out) == {"reasons": ["env.K: '***' -> (sensitive)"], "count": 1234}


def test_redact_secret_plan_keeps_comment_marker() -> None:
    body = ("<!-- gitops-runner:comment kind=plan part=1/1 v=0.1 -->\n"
            f"<!-- gitops-runner:stack stack=a/b fingerprint={'a' * 64} -->\nthe kind is ready")
    out = redact_text(body, ["kind"])
    assert out.splitlines()[:2] == body.splitlines()[:2]
    assert out.splitlines()[2] == "the *** is ready"


@pytest.mark.parametrize("shaped", [
    "<!-- gitops-runner: hunter22 -->",
    "<!-- gitops-runner:stack stack=a/b fingerprint=hunter22 -->",
    "<!-- gitops-runner:comment kind=plan part=1/1 v=0.1 hunter22 -->"])
def test_redact_text_shaped_like_a_marker_is_redacted(shaped: str) -> None:
    """Only the product's own marker grammar is kept whole; anything else is text."""
    assert "hunter22" not in redact_text(f"x\n{shaped}\ny", ["hunter22"])


# -- in GitHub Actions: echoed text cannot become a workflow command ------------------
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


def test_redact_never_touches_json_keys() -> None:
    report = json.dumps({"actions": [{"pod": "web", "reasons": ["token actions-x"]}]}, indent=2)
    out = redact_text(report, ["actions"])
    data = json.loads(out)
    assert list(data) == ["actions"] and data["actions"][0]["reasons"] == ["token ***-x"]


def test_a_secret_spelled_like_the_tools_own_word_blanks_nothing() -> None:
    report = json.dumps({"actions": [{"pod": "web", "action": "create"}]})
    assert redact_text(report, ["create"]) == report
    assert redact_text("+ web  create  NVIDIA L4", ["Create"]) == "+ web  create  NVIDIA L4"
