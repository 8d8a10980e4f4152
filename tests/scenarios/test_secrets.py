"""The RunPod key and secret env values appear in no output, file or error."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import World
from tests.helpers import SANDBOX, CliResult, deploy_repo, run_cli

API_KEY = "rpa_TOPSECRETAPIKEY0123456789"
HF_TOKEN = "hf_TOPSECRETTOKENVALUE42"
ROTATED = "hf_ROTATEDSECRETVALUE77"
DEPLOY = """\
version: 1
project: {name: sec, environment: prod}
state: {path: .state}
guardrails: {allow_delete: true}
pods:
  - name: api
    gpu: {type: NVIDIA L4}
    ports: ["8000/http"]
    runtime:
      image: "img:1"
      env: {HF_TOKEN: {secret: HF_TOKEN}, PLAIN: visible}
    health_check: {path: /, port: 8000, timeout_seconds: 20, interval_seconds: 1}
"""


def no_secret_in(*texts: str) -> None:
    for text in texts:
        for secret in (API_KEY, HF_TOKEN, ROTATED):
            assert secret not in text


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return deploy_repo(tmp_path, monkeypatch, DEPLOY)


def test_secrets_never_leak_through_any_command(repo: Path, fast_sim: Simulator,
                                                fast_world: World) -> None:
    fast_sim.exchanges = []
    env = {"RUNPOD_API_KEY": API_KEY, "RUNPOD_API_URL": fast_sim.url,
           "RUNPOD_PROXY_URL": fast_sim.proxy_url, "HF_TOKEN": HF_TOKEN}
    results: list[CliResult] = []
    for fmt in ("text", "json", "markdown"):
        results.append(run_cli(["plan", "--format", fmt, "--out", f"plan-{fmt}.json"], env))
    results.append(run_cli(["apply", "--auto-approve"], env))
    assert results[-1].code == 0, results[-1].err
    rotated = {**env, "HF_TOKEN": ROTATED}
    for fmt in ("text", "json", "markdown"):
        results.append(run_cli(["plan", "--format", fmt], rotated))
        results.append(run_cli(["drift", "--format", fmt], rotated))
    assert "(sensitive value changed)" in results[-6].out
    results.append(run_cli(["apply", "--auto-approve"], rotated))
    results.append(run_cli(["validate"], rotated))
    for command in (["status"], ["status", "--format", "json"], ["logs", "api", "--tail", "5"],
                    ["state", "show"], ["state", "pull"], ["state", "list"],
                    ["state", "history"], ["lock", "list"], ["lock", "show"]):
        results.append(run_cli(command, rotated))
        assert results[-1].code == 0, (command, results[-1].err)
        # Each says something, so "no secret in it" is not true of an empty answer.
        assert results[-1].out.strip(), command
    results.append(run_cli(["destroy", "--auto-approve"], rotated))
    for r in results:
        no_secret_in(r.out, r.err)
    for path in repo.rglob("*"):
        if path.is_file():
            no_secret_in(path.read_text(errors="replace"))
    # The secret did reach RunPod, where it belongs, and only there.
    sent = [ex.request for ex in fast_sim.exchanges if ex.method in ("POST", "PATCH")]
    assert any(isinstance(b, dict) and b.get("env", {}).get("HF_TOKEN") == ROTATED for b in sent)


def test_secrets_missing_secret_is_named_not_leaked(repo: Path, fast_sim: Simulator) -> None:
    result = run_cli(["plan"], {"RUNPOD_API_KEY": API_KEY, "RUNPOD_API_URL": fast_sim.url})
    assert result.code == 1
    assert "secret values are missing: HF_TOKEN is not set (pod api, env HF_TOKEN" in result.err


def test_secrets_empty_secret_is_an_error_naming_it(repo: Path, fast_sim: Simulator) -> None:
    # `${{ secrets.HF_TOKEN }}` of a secret nobody created arrives as "".
    result = run_cli(["plan"], {"RUNPOD_API_KEY": API_KEY, "RUNPOD_API_URL": fast_sim.url,
                                "HF_TOKEN": ""})
    assert result.code == 1
    assert "secret values are missing: HF_TOKEN is empty (pod api, env HF_TOKEN" in result.err
    assert not fast_sim.exchanges or all(ex.method == "GET" for ex in fast_sim.exchanges)


def test_secrets_bad_key_error_does_not_echo_key(repo: Path, fast_sim: Simulator,
                                                 fast_world: World) -> None:
    fast_world.settings.api_key = "the-right-key"
    result = run_cli(["plan"], {"RUNPOD_API_KEY": API_KEY, "RUNPOD_API_URL": fast_sim.url,
                                "HF_TOKEN": HF_TOKEN})
    assert result.code == 1 and "Check RUNPOD_API_KEY" in result.err
    no_secret_in(result.out, result.err)


def test_secrets_redaction_is_a_last_defence() -> None:
    from gitops_runner.output import Output, redact_text

    out = Output()
    out.add_secrets([HF_TOKEN, "ab"])
    assert out.redact(f"x{HF_TOKEN}y ab") == "x***y ab"
    assert redact_text(f"k={API_KEY}", [API_KEY]) == "k=***"


def test_secrets_never_leak_in_sandbox_mode(repo: Path) -> None:
    env = {**SANDBOX, "RUNPOD_API_KEY": API_KEY, "HF_TOKEN": HF_TOKEN}
    results = [run_cli(cmd, env) for cmd in (
        ["plan", "--format", "json", "--out", "p.json"], ["apply", "--auto-approve"],
        ["status"], ["drift", "--format", "markdown"], ["state", "pull"])]
    rotated = {**env, "HF_TOKEN": ROTATED}
    results += [run_cli(cmd, rotated) for cmd in (["plan"], ["apply", "--auto-approve"],
                                                 ["destroy", "--auto-approve"])]
    assert all(r.code == 0 for r in results), [r.err for r in results if r.code]
    for r in results:
        no_secret_in(r.out, r.err)
    for path in repo.rglob("*"):
        if path.is_file() and "sandbox" not in path.parts:  # the simulated RunPod keeps env
            no_secret_in(path.read_text(errors="replace"))
