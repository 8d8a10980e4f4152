"""A repository the action runs in: deploy files, the event payload, GitHub's file
commands, the fake GitHub API, and either the sandbox or a simulator it reaches by URL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.fakes.github import REPO, GitHubState
from tests.helpers import SANDBOX, CliResult, run_cli

HF = "hf_ACTIONSECRET123456"
KEY = "rpa_ACTIONAPIKEY987654"
SHA = "abc123def456"
DEPLOY = """\
version: 1
project: {name: app, environment: prod}
state: {path: ../.state}
guardrails: {allow_delete: true}
pods:
  - name: api
    gpu: {type: NVIDIA L4}
    ports: ["8000/http"]
    runtime:
      image: "img:IMAGE"
      env: {HF_TOKEN: {secret: HF_TOKEN}}
    health_check: {path: /, port: 8000, timeout_seconds: 20, interval_seconds: 1}
"""


class ActionRepo:
    def __init__(self, root: Path, api: str, gh: GitHubState) -> None:
        self.root, self.api, self.gh = root, api, gh
        self.runpod_url = ""  # set: a simulator by URL instead of the sandbox
        (root / "deploy").mkdir()
        self.set_image("1")

    def set_image(self, tag: str) -> None:
        (self.root / "deploy" / "app.yaml").write_text(DEPLOY.replace("IMAGE", tag))

    def env(self, event: str, ref: str, inputs: dict[str, str]) -> dict[str, str]:
        env = {
            "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": event,
            "GITHUB_EVENT_PATH": str(self.root / "event.json"), "GITHUB_REF": ref,
            "GITHUB_SHA": SHA, "GITHUB_REPOSITORY": REPO,
            "GITHUB_API_URL": self.api, "GITHUB_SERVER_URL": "https://github.test",
            "GITHUB_RUN_ID": "77", "GITHUB_OUTPUT": str(self.root / "out.txt"),
            "GITHUB_STEP_SUMMARY": str(self.root / "summary.md"),
            "GITHUB_WORKSPACE": str(self.root),
            "RUNNER_TEMP": str(self.root / "tmp"), "INPUT_GITHUB-TOKEN": "ghs_faketoken",
            "INPUT_RUNPOD-API-KEY": KEY, "HF_TOKEN": HF,
        }
        if self.runpod_url:
            env["RUNPOD_API_URL"] = self.runpod_url
        else:
            env.update(SANDBOX)
        env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
        return env

    def run(self, event: str, payload: dict[str, Any], ref: str = "refs/heads/main",
            **inputs: str) -> CliResult:
        return self.run_with_env({}, event, payload, ref, **inputs)

    def run_with_env(self, extra: dict[str, str], event: str, payload: dict[str, Any],
                     ref: str = "refs/heads/main", **inputs: str) -> CliResult:
        (self.root / "event.json").write_text(json.dumps(payload))
        for name in ("out.txt", "summary.md"):
            (self.root / name).write_text("")
        return run_cli(["action"], {**self.env(event, ref, inputs), **extra})

    def outputs(self) -> str:
        return (self.root / "out.txt").read_text()

    def output(self, name: str) -> str:
        lines = self.outputs().splitlines()
        for i, line in enumerate(lines):
            if line.startswith(f"{name}<<"):
                return lines[i + 1]
        raise KeyError(name)

    def summary(self) -> str:
        return (self.root / "summary.md").read_text()

    def sandbox_pods(self) -> list[dict[str, Any]]:
        """Pods of the sandbox's simulated RunPod; none when the sandbox never started."""
        path = self.root / ".state" / "sandbox" / "runpod.json"
        if not path.exists():
            return []
        return [p for p in json.loads(path.read_text())["pods"] if not p["terminated"]]
