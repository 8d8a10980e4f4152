"""The README's jq walk, run as written (jq when installed; the documents are walked in
Python either way), and every JSON report's error form: with --format json, every
command's failure is one JSON document on stdout that its schema accepts."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tests.helpers import SANDBOX, deploy_repo, run_cli, web_deploy
from tests.scenarios.test_json_reports import COMMANDS, EXTRA

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas" / "reports"
DEPLOY = web_deploy("walk", """\
    schedule: {timezone: Europe/Paris, running: ["daily 00:00-24:00"]}
""")


def readme_walk() -> list[tuple[list[str], str]]:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"A walk over every report with `jq`.*?```bash\n(.*?)```", readme,
                      re.DOTALL)
    assert block, "the README's JSON section has the jq walk"
    steps = []
    for line in block.group(1).splitlines():
        command, jq_filter = line.split(" | jq -r ", 1)
        argv = shlex.split(command)
        assert argv[0] == "gitops-runner"
        steps.append((argv[1:], shlex.split(jq_filter)[0]))
    return steps


def check(text: str, schema_name: str) -> dict[str, object]:
    schema = json.loads((SCHEMAS / f"{schema_name}.schema.json").read_text())
    data = json.loads(text)
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(data)]
    assert not errors, f"{schema_name}: {errors}"
    return data  # type: ignore[no-any-return]


def test_readme_jq_walk_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy_repo(tmp_path, monkeypatch, DEPLOY)
    steps = readme_walk()
    assert len(steps) >= 5
    for argv, jq_filter in steps:
        result = run_cli(argv, SANDBOX)
        failing = "missing.yaml" in argv
        assert result.code == (1 if failing else 0) or (argv[0] == "plan" and result.code == 2)
        command = " ".join(a for a in argv[:2] if not a.startswith("-"))
        data = check(result.out, "error" if failing else COMMANDS[command])
        if failing:
            assert data["error"]["kind"] == "config"  # type: ignore[index]
            assert data["error"]["file"] == "missing.yaml"  # type: ignore[index]
        if shutil.which("jq"):
            walked = subprocess.run(["jq", "-r", jq_filter], input=result.out,
                                    capture_output=True, text=True, check=False)
            assert walked.returncode == 0 and walked.stdout.strip(), (argv, walked.stderr)
            assert "null" not in walked.stdout.split(), (argv, walked.stdout)
            # error.message is the stderr line, location included: the walk must not
            # print the location twice ("missing.yaml:1: missing.yaml:1:1: ...").
            assert walked.stdout.count("missing.yaml") <= 1, (argv, walked.stdout)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_json_report_has_a_json_error(command: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    deploy_repo(tmp_path, monkeypatch, DEPLOY.replace("name: walk", "name: Walk"))
    # A bad deploy file: a config error with its file, line and column.
    result = run_cli([*command.split(), "--format", "json", *EXTRA.get(command, [])], SANDBOX)
    if command == "validate":  # validate reports problems as its own report
        assert result.code == 1 and check(result.out, "validate")["valid"] is False
        return
    assert result.code == 1, result.out
    error = check(result.out, "error")["error"]
    assert error["kind"] in ("config", "error"), error  # type: ignore[index]
    assert result.err.strip(), "the line on stderr stays"
    # A usage error is JSON too.
    usage = run_cli([*command.split(), "--format", "json", "--no-such-flag"], SANDBOX)
    assert usage.code == 1
    assert check(usage.out, "error")["error"]["kind"] == "usage"  # type: ignore[index]


def test_text_format_errors_print_nothing_on_stdout(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    deploy_repo(tmp_path, monkeypatch, DEPLOY)
    result = run_cli(["plan", "-c", "missing.yaml"], SANDBOX)
    assert result.code == 1 and result.out == "" and "missing.yaml" in result.err
