"""Preview flows against the simulator (engine/preview.py): identity by markers keeps one
pull request's preview from touching another's pods or the main stack's; and the
`gitops-runner preview list` command."""

from __future__ import annotations

import json
from pathlib import Path

from gitops_runner.config import load_stacks
from gitops_runner.config.model import Stack
from gitops_runner.config.preview import preview_stack
from gitops_runner.engine.apply import ApplyOptions, apply_stack
from gitops_runner.engine.preview import apply_preview, destroy_preview, find_previews
from gitops_runner.plan.desired import create_body, desired_pods
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.simulator.server import Simulator
from tests.fakes.clock import VIRTUAL, ScaledClock
from tests.helpers import SANDBOX, make_session, run_cli, sim_access
from tests.plan.factories import stack_from_yaml

PODS = """
pods:
  - name: api
    gpu: {type: NVIDIA L4}
    ports: ["8000/http"]
    runtime: {image: "img:1"}
    health_check: {path: /health, port: 8000, timeout_seconds: 20, interval_seconds: 1}
preview: {ttl_hours: 24, max_hourly_cost: 1.0, overrides: {runtime: {image: "img:pr"}}}
"""


def base(tmp_path: Path) -> Stack:
    return stack_from_yaml(PODS, f"state: {{path: {tmp_path}}}\n")


def test_preview_apply_leaves_other_pull_requests_and_main_alone(
        fast_sim: Simulator, tmp_path: Path, vclock: ScaledClock) -> None:
    client = RunPodClient(fast_sim.url, "k", max_retry_seconds=5, backoff_base=0.01)
    access = sim_access(fast_sim, client)
    session = make_session(clock=vclock)
    stack = base(tmp_path)
    assert apply_stack(session, stack, access, {}, ApplyOptions()).converged
    assert apply_preview(session, stack, 13, access, {}).result.converged
    # A pod carrying PR 13's markers but named like PR 12's: still PR 13's.
    thirteen = {p["id"]: p for p in client.list_pods()
                if p["env"].get("GITOPS_RUNNER_STACK") == "demo/prod-pr-13"}
    (pod13,) = thirteen.values()
    (want,) = desired_pods(preview_stack(stack, 13))
    body = create_body(want, "NVIDIA L4", {})
    stray = client.create_pod({**body, "name": "demo-prod-pr-12-api", "image": "img:stray",
                               "env": {**body["env"], "GITOPS_RUNNER_POD": "api-1"}})
    before = {p["id"]: p for p in client.list_pods()}
    done = apply_preview(session, stack, 12, access, {})
    assert done.result.converged and done.result.count("create") == 1
    after = {p["id"]: p for p in client.list_pods()}
    for pod_id, pod in before.items():
        assert after[pod_id]["image"] == pod["image"], "no other pod was changed"
    count, failures = destroy_preview(session, stack, 12, access)
    assert (count, failures) == (1, [])
    alive = {p["id"] for p in client.list_pods() if p["status"] != "TERMINATED"}
    assert set(thirteen) | {stray['id']} <= alive
    assert {p["env"]["GITOPS_RUNNER_STACK"] for p in client.list_pods()
            if p["id"] in alive} == {"demo/prod", "demo/prod-pr-13"}
    assert [(p.name, p.number, len(p.pods)) for p in find_previews(session, [stack], access)] == \
        [("demo/prod-pr-13", 13, 2)]
    assert not (tmp_path / "demo" / "prod-pr-12.json").exists()
    assert (tmp_path / "demo" / "prod-pr-13.json").exists()


def test_preview_list_shows_age_cost_and_pull_request(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy.yaml"
    deploy.write_text("version: 1\nproject: {name: app, environment: prod}\n"
                      + PODS.replace("/health", "/"))
    env = SANDBOX
    assert run_cli(["preview", "list", "-c", str(deploy)], env).out == "No live previews.\n"
    # Deploy PR 7's preview through the engine, in the same sandbox.
    session = make_session(clock=VIRTUAL)
    session.sandbox = True
    (stack,) = load_stacks([str(deploy)])
    with session.runpod([stack]) as access:
        assert apply_preview(session, stack, 7, access, {}).result.converged
    text = run_cli(["preview", "list", "-c", str(deploy)], env)
    assert text.code == 0, text.err
    lines = text.out.splitlines()
    assert lines[0].split() == ["PREVIEW", "PR", "PODS", "AGE", "TTL", "$/H"]
    assert lines[1].split()[:3] == ["app/prod-pr-7", "#7", "1"]
    assert lines[1].split()[-2:] == ["24h", "0.49"]
    rows = json.loads(run_cli(["preview", "list", "-c", str(deploy), "--format", "json"],
                              env).out)["previews"]
    assert rows[0]["pull_request"] == 7 and rows[0]["cost_per_hour"] == 0.49
    assert rows[0]["expired"] is False and rows[0]["age_hours"] is not None
