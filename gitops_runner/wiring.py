"""Build the adapters a command needs from the environment mapping cli.py hands over."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from gitops_runner.config.model import SecretRef, Stack
from gitops_runner.errors import GitopsError
from gitops_runner.runpod.client import DEFAULT_API_URL, RunPodClient

DEFAULT_PROXY_URL = "https://{pod_id}-{port}.proxy.runpod.net"
SANDBOX_KEY = "sandbox-key"


@dataclass
class RunPodAccess:
    client: RunPodClient
    proxy_url: str
    sandbox: bool


def sandbox_dir(stacks: Sequence[Stack]) -> str:
    for stack in stacks:
        if stack.state.backend == "local":
            return stack.state.path
    return os.path.abspath(".gitops-runner")


@contextlib.contextmanager
def runpod_access(env: Mapping[str, str], stacks: Sequence[Stack],
                  sandbox: bool) -> Iterator[RunPodAccess]:
    if not sandbox:
        key = env.get("RUNPOD_API_KEY", "").strip()
        if not key:
            raise GitopsError("RUNPOD_API_KEY is not set. Create an API key in the RunPod "
                              "console (Settings > API Keys) and export it, or try the "
                              "offline sandbox with --sandbox")
        url = env.get("RUNPOD_API_URL") or DEFAULT_API_URL
        proxy = env.get("RUNPOD_PROXY_URL") or DEFAULT_PROXY_URL
        yield RunPodAccess(RunPodClient(url, key), proxy, False)
        return
    from gitops_runner.runpod.simulator.server import FileStore, Simulator
    from gitops_runner.runpod.simulator.world import Settings, World

    boot = float(env.get("GITOPS_RUNNER_SANDBOX_BOOT_SECONDS", "3"))
    world = World(settings=Settings(provisioning_seconds=boot / 3,
                                    starting_seconds=boot * 2 / 3))
    store = FileStore(os.path.join(sandbox_dir(stacks), "sandbox", "runpod.json"))
    with Simulator(world, store) as sim:
        yield RunPodAccess(RunPodClient(sim.url, SANDBOX_KEY, max_retry_seconds=10),
                           sim.proxy_url, True)


def secret_values(stacks: Sequence[Stack], env: Mapping[str, str],
                  required: bool = True) -> dict[str, str]:
    """Values of every {secret: NAME} the stacks use, from the runner's environment."""
    values: dict[str, str] = {}
    missing: list[str] = []
    for stack in stacks:
        for pod in stack.pods:
            for key, value in pod.runtime.env.items():
                if not isinstance(value, SecretRef):
                    continue
                if value.name in env:
                    values[value.name] = env[value.name]
                elif required:
                    missing.append(f"{value.name} (pod {pod.name}, env {key}, {stack.file})")
    if missing:
        raise GitopsError("secret values are not set in the environment: "
                          + "; ".join(sorted(set(missing)))
                          + ". Export them (in Actions: from repository secrets)")
    return values
