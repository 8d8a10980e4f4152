"""The output redactor: a second net that also catches escaped forms and never breaks
JSON or the comment markers."""

from __future__ import annotations

import json

import pytest

from gitops_runner.output import REDACTED, redact_text


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
            "<!-- gitops-runner:stack stack=a/b fingerprint=abc -->\nthe plan is ready")
    out = redact_text(body, ["plan"])
    assert out.splitlines()[:2] == body.splitlines()[:2]
    assert out.splitlines()[2] == "the *** is ready"
