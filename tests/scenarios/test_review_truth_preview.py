"""A preview brings only what its policy checks (CONTRACT §12, §14): a pull request's
file may not create network volumes (or endpoints) through its preview."""

from __future__ import annotations

import json

from tests.action_repo import ActionRepo
from tests.scenarios.test_action_preview import (
    PREVIEWED,
    event,
    previewed,
    stack_pods,
    state_file,
)

WITH_VOLUME = PREVIEWED.replace("pods:\n", "volumes:\n  - {name: big, size_gb: 4000, "
                                "data_centers: [EU-RO-1, US-TX-3]}\npods:\n", 1)


def _volumes(repo: ActionRepo) -> object:
    path = repo.root / ".state" / "sandbox" / "runpod.json"
    return json.loads(path.read_text()).get("network_volumes")


def test_a_preview_never_creates_the_pull_requests_network_volumes(
        action_repo: ActionRepo) -> None:
    previewed(action_repo, text=WITH_VOLUME, policy=PREVIEWED)
    result = action_repo.run("pull_request", event("labeled"))
    assert result.code == 0, result.err
    assert len(stack_pods(action_repo, "app/prod-pr-12")) == 1, "the preview's pods deploy"
    assert not _volumes(action_repo), "no network volume, under no cap and no PR marker"
    state = json.loads(state_file(action_repo, "prod-pr-12").read_text())
    assert not state.get("volumes")


FULL = """\
version: 1
project: {name: app, environment: prod}
state: {path: ../.state}
guardrails: {allow_delete: true, max_hourly_cost: 50}
volumes:
  - {name: cache, size_gb: 50, data_center: EU-RO-1}
pods:
  - name: api
    gpu: {type: NVIDIA L4}
    ports: ["8000/http"]
    network_volume: {name: cache, path: /workspace}
    runtime:
      image: "img:IMAGE"
      env: {HF_TOKEN: {secret: HF_TOKEN}}
    health_check: {path: /, port: 8000, timeout_seconds: 20, interval_seconds: 1}
    schedule: {timezone: UTC, running: ["Mon-Sun 00:00-23:59"]}
endpoints:
  - name: chat
    gpu: {pools: [ADA_24]}
    workers: {min: 0, max: 2}
    runtime: {image: "worker:IMAGE", env: {HF_TOKEN: {secret: HF_TOKEN}}}
"""


def test_reviewed_without_secrets_then_merged_with_them_applies_volumes_and_endpoints(
        action_repo: ActionRepo) -> None:
    """The plan job holds no deploy secret and a read-only key (CONTRACT §8); the merge
    re-plans with them: the fingerprints must meet for pods, volumes and endpoints, twice
    (a create, then an update of each)."""
    from tests.fakes.github import merged_pull, pull_request_event, push_event
    from tests.helpers import run_cli

    def review(number: int) -> None:
        env = action_repo.env("pull_request", "refs/heads/main", {})
        env.pop("HF_TOKEN")
        (action_repo.root / "event.json").write_text(json.dumps(pull_request_event(number)))
        planned = run_cli(["action"], env)
        assert planned.code == 0, planned.out + planned.err
        action_repo.gh.commit_pulls["abc123def456"] = [merged_pull(number)]

    deploy = action_repo.root / "deploy" / "app.yaml"
    for number, tag in ((12, "1"), (13, "2")):
        deploy.write_text(FULL.replace("IMAGE", tag))
        review(number)
        pushed = action_repo.run("push", push_event())
        assert pushed.code == 0, pushed.out + pushed.err + action_repo.summary()
        assert "plan changed since review" not in action_repo.summary()
    state = json.loads((action_repo.root / ".state" / "app" / "prod.json").read_text())
    assert set(state["volumes"]) and set(state["endpoints"]) == {"chat"}
    assert state["pods"]["api"]["spec"]["image"] == "img:2"
