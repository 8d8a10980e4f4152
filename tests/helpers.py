"""Run the CLI in-process and capture exactly what a user would see; build the
Session and RunPod access the engine takes."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from gitops_runner.cli import main
from gitops_runner.engine.clock import Clock
from gitops_runner.engine.session import RunPodAccess, Session
from gitops_runner.output import Output
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.state.base import RunIdentity
from tests.fakes.clock import VIRTUAL


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(argv: list[str], env: dict[str, str] | None = None,
            clock: Clock | None = VIRTUAL) -> CliResult:
    """In virtual time by default: sandbox boots and health intervals pass 50x faster."""
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, env=env or {}, out=Output(out=out, err=err), clock=clock)
    return CliResult(code, out.getvalue(), err.getvalue())


class LogOutput(Output):
    """An Output whose log lines land in a list (and whose reports are dropped)."""

    def __init__(self, sink: Callable[[str], None]) -> None:
        super().__init__(out=io.StringIO(), err=io.StringIO())
        self._sink = sink

    def log(self, text: str, end: str = "\n") -> None:
        self._sink(self.redact(text))


def make_session(log: Callable[[str], None] | None = None, clock: Clock | None = None,
                 secrets: dict[str, str] | None = None, actor: str = "tester") -> Session:
    session = Session(out=LogOutput(log or (lambda _line: None)), identity=RunIdentity(actor),
                      secret_source=secrets or {})
    if clock is not None:
        session.clock = clock
    return session


def sim_access(sim: Simulator, client: RunPodClient | None = None,
               poll_seconds: float = 0.5) -> RunPodAccess:
    client = client or RunPodClient(sim.url, "k", max_retry_seconds=5, backoff_base=0.01)
    return RunPodAccess(client, sim.proxy_url, False, poll_seconds)


def depths(deep: int) -> list[object]:
    """The two tiers of a randomized search (`@pytest.mark.parametrize("examples", ...)`):
    a tenth of it in the inner loop, all of it in the full run (marked slow)."""
    return [pytest.param(max(10, deep // 10), id="quick"),
            pytest.param(deep, id="deep", marks=pytest.mark.slow)]


# The in-process sandbox: the simulator in virtual time, pods that boot in 0.3 s of it.
SANDBOX = {"GITOPS_RUNNER_SANDBOX": "1", "GITOPS_RUNNER_SANDBOX_BOOT_SECONDS": "0.3"}


def web_deploy(project: str, more: str = "") -> str:
    """A deploy file with one small HTTP pod `web` (local state in .state); `more`: lines
    appended under the pod (its own keys, or further pods)."""
    return f"""\
version: 1
project: {{name: {project}}}
state: {{path: .state}}
pods:
  - name: web
    gpu: {{type: NVIDIA L4}}
    ports: ["8000/http"]
    runtime: {{image: "python:3.12-slim", args: ["python3", "-m", "http.server", "8000"]}}
""" + more


def deploy_repo(root: Path, monkeypatch: pytest.MonkeyPatch, deploy: str) -> Path:
    """A repository with one deploy.yaml, as the working directory."""
    monkeypatch.chdir(root)
    (root / "deploy.yaml").write_text(deploy)
    return root
