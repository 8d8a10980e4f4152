from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli

GOOD = "version: 1\nproject: {name: demo}\npods:\n  - name: api\n    gpu: {type: NVIDIA L4}\n" \
       "    runtime: {image: nginx}\n"
BAD = GOOD.replace("nginx}", "nginx, colour: red}")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cli_validate_valid_file_exits_0(repo: Path) -> None:
    (repo / "deploy.yaml").write_text(GOOD)
    result = run_cli(["validate"])
    assert (result.code, result.out) == (0, "1 file(s) valid: demo/dev\n")


def test_cli_validate_invalid_file_prints_location_and_exits_1(repo: Path) -> None:
    (repo / "deploy").mkdir()
    (repo / "deploy" / "a.yaml").write_text(BAD)
    result = run_cli(["validate"])
    assert result.code == 1
    assert result.out == ("deploy/a.yaml:6:29: pods[0].runtime.colour: unknown key 'colour'; "
                          "allowed keys here: args, env, image, registry_auth_id\n")


def test_cli_validate_in_github_actions_adds_annotations(repo: Path) -> None:
    (repo / "deploy.yaml").write_text(BAD)
    result = run_cli(["validate"], env={"GITHUB_ACTIONS": "true"})
    assert "::error file=deploy.yaml,line=6,col=29::pods[0].runtime.colour%3A" not in result.out
    assert "::error file=deploy.yaml,line=6,col=29::pods[0].runtime.colour: unknown key" \
        in result.out


def test_cli_validate_json_format(repo: Path) -> None:
    (repo / "deploy.yaml").write_text(BAD)
    result = run_cli(["validate", "--format", "json"])
    data = json.loads(result.out)
    assert data["valid"] is False
    assert data["errors"][0]["line"] == 6 and data["errors"][0]["col"] == 29


def test_cli_validate_no_config_is_a_clear_error(repo: Path) -> None:
    result = run_cli(["validate"])
    assert result.code == 1
    assert "no deploy file found" in result.err


def test_cli_validate_missing_file_is_reported(repo: Path) -> None:
    result = run_cli(["validate", "-c", "nope.yaml"])
    assert result.code == 1
    assert result.out.startswith("nope.yaml:1:1: cannot read file")


def test_cli_validate_two_files_same_stack(repo: Path) -> None:
    (repo / "a.yaml").write_text(GOOD)
    (repo / "b.yaml").write_text(GOOD)
    result = run_cli(["validate", "-c", "a.yaml", "-c", "b.yaml"])
    assert result.code == 1
    assert "stack demo/dev is also declared in a.yaml" in result.out


def test_cli_init_writes_valid_starter_and_refuses_overwrite(repo: Path) -> None:
    first = run_cli(["init", "--project", "demo"])
    assert first.code == 0 and "wrote ./deploy/dev.yaml" in first.out
    assert run_cli(["validate"]).code == 0
    again = run_cli(["init"])
    assert again.code == 1 and "already exist(s); pass --force" in again.err
    assert (repo / ".github" / "workflows" / "gitops-runner-plan.yml").exists()
    assert run_cli(["init", "--force"]).code == 0


def test_cli_init_s3_backend_writes_an_s3_starter(repo: Path) -> None:
    result = run_cli(["init", "--project", "demo", "--backend", "s3", "--bucket", "acme-state",
                      "--table", "acme-locks"])
    assert result.code == 0, result.err
    text = (repo / "deploy" / "dev.yaml").read_text()
    assert "backend: s3" in text and "bucket: acme-state" in text
    assert "{backend: dynamodb, table: acme-locks}" in text
    assert "note: the workflows apply only with state in S3" not in result.out
    assert run_cli(["validate"]).code == 0


@pytest.mark.parametrize(("argv", "message"), [
    (["--backend", "s3", "--table", "locks"], "--backend s3 needs --bucket"),
    (["--backend", "s3", "--bucket", "acme-state"], "--backend s3 needs --table"),
    (["--bucket", "acme-state"], "--bucket and --table go with --backend s3")])
def test_cli_init_s3_backend_needs_bucket_and_table(repo: Path, argv: list[str],
                                                    message: str) -> None:
    result = run_cli(["init", *argv])
    assert result.code == 1 and message in result.err


def test_cli_init_local_backend_says_actions_need_s3(repo: Path) -> None:
    result = run_cli(["init"])
    assert "note: the workflows apply only with state in S3" in result.out


def test_cli_init_rejects_bad_project_name(repo: Path) -> None:
    result = run_cli(["init", "--project", "Bad_Name"])
    assert result.code == 1 and "not a valid project name" in result.err


def test_cli_version() -> None:
    result = run_cli(["--version"])
    assert result.code == 0 and result.out.startswith("gitops-runner, version ")


@pytest.mark.parametrize("argv", [["frobnicate"], ["drift", "--bogus"], ["apply", "--parallelism", "0"]])
def test_cli_usage_error_exits_1_not_2(argv: list[str]) -> None:
    # 2 means "changes" (plan) or "drift": a typo must never look like either.
    result = run_cli(argv)
    assert result.code == 1 and result.err.startswith("error: ")


STARTABILITY = """version: 1
project: {name: demo}
pods:
  - name: api
    gpu: {type: NVIDIA GeForce RTX 4090, min_cuda_version: "12.8"}
    ports: ["8000/http"]
    runtime: {image: "vllm/vllm-openai:latest"}
    models: [{id: q, repo: Qwen/Qwen2.5-7B-Instruct-AWQ, load: {engine: vllm, quant: awq_marlin}}]
"""


def test_cli_validate_warns_before_a_pod_that_would_not_start(repo: Path) -> None:
    (repo / "deploy.yaml").write_text(STARTABILITY)
    result = run_cli(["validate"])
    assert result.code == 0  # warnings never fail validate
    warnings = [line for line in result.out.splitlines() if ": warning: " in line]
    assert any("min_cuda_version 12.8 is below the CUDA 13.0" in w for w in warnings)
    assert any("disk_gb 20 cannot hold the image (28.6 GB unpacked)" in w for w in warnings)
    assert any("without load.max_seq_len" in w for w in warnings)
    assert any("has no api_key" in w for w in warnings)
    assert not any("AWQ" in w for w in warnings), "awq_marlin reads an -AWQ checkpoint"
    data = json.loads(run_cli(["validate", "--format", "json"]).out)
    assert data["valid"] is True and len(data["warnings"]) == len(warnings)


def test_cli_validate_warnings_are_annotations_in_github_actions(repo: Path) -> None:
    (repo / "deploy.yaml").write_text(STARTABILITY)
    result = run_cli(["validate"], env={"GITHUB_ACTIONS": "true"})
    assert result.code == 0
    assert "::warning file=deploy.yaml::pod api: gpu.min_cuda_version 12.8 is below" in result.out
