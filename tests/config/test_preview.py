"""The preview block (CONTRACT §4, §12): validation with line:col, and the pure derivation
of a pull request's preview stack."""

from __future__ import annotations

import pytest

from gitops_runner.config import parse_stack
from gitops_runner.config.model import Stack
from gitops_runner.config.preview import merge_overrides, preview_number, preview_stack
from gitops_runner.errors import UsageError
from tests.plan.factories import stack_from_yaml

DEPLOY = """\
version: 1
project: {name: llm, environment: prod}
guardrails: {max_hourly_cost: 20, allow_delete: false, max_deletes: 0, ttl_hours: 100}
pods:
  - name: api
    replicas: 2
    gpu: {type: NVIDIA L40S, fallback: [NVIDIA A40]}
    ports: ["8000/http"]
    volume: {size_gb: 100, path: /workspace}
    runtime:
      image: vllm/vllm-openai:v0.6.3
      env: {LOG_LEVEL: info, HF_TOKEN: {secret: HF_TOKEN}}
    tags: {team: ml}
  - name: worker
    gpu: {type: NVIDIA L4}
    runtime: {image: "worker:1"}
preview:
  label: try-it
  ttl_hours: 48
  max_hourly_cost: 2.0
  overrides:
    replicas: 1
    gpu: {type: NVIDIA RTX A5000, fallback: []}
    network_volume: {id: vol1, path: /models}
    runtime: {env: {LOG_LEVEL: debug}}
"""


def parse(text: str) -> tuple[Stack | None, list[str]]:
    stack, problems = parse_stack("deploy/llm.yaml", text.encode())
    return stack, [f"{p.line}:{p.col}: {p.message}" for p in problems]


def stack() -> Stack:
    parsed, problems = parse(DEPLOY)
    assert not problems and parsed is not None
    return parsed


def test_preview_stack_is_named_and_guarded_as_its_own_stack() -> None:
    p = preview_stack(stack(), 42)
    assert (p.name, p.project, p.environment) == ("llm/prod-pr-42", "llm", "prod-pr-42")
    assert p.preview is None, "a preview has no previews"
    g = p.guardrails
    assert (g.max_hourly_cost, g.ttl_hours, g.allow_delete, g.max_deletes) == (2.0, 0, True, None)
    assert stack().guardrails.max_hourly_cost == 20, "the main stack is unchanged"


def test_preview_stack_merges_overrides_over_every_pod_and_tags_the_number() -> None:
    api, worker = preview_stack(stack(), 42).pods
    assert api.replicas == 1 and worker.replicas == 1
    assert (api.gpu.type, api.gpu.fallback) == ("NVIDIA RTX A5000", ())
    assert worker.gpu.type == "NVIDIA RTX A5000"
    assert api.volume is None and api.network_volume is not None, \
        "a network_volume override replaces the pod's volume"
    assert api.runtime.env["LOG_LEVEL"] == "debug"
    assert "HF_TOKEN" in api.runtime.env, "env merges key by key"
    assert api.runtime.image == "vllm/vllm-openai:v0.6.3"
    assert api.tags == {"team": "ml", "pr": "42"} and worker.tags == {"pr": "42"}
    stamped = preview_stack(stack(), 42, "2026-12-07T10:00:00Z", "acme/models").pods[1]
    assert stamped.tags == {"pr": "42", "expires": "2026-12-07T10:00:00Z", "repo": "acme/models"}


def test_preview_stack_needs_a_preview_block() -> None:
    with pytest.raises(UsageError, match="has no preview block"):
        preview_stack(stack_from_yaml("pods: [{name: a, gpu: {type: NVIDIA L4}, runtime: "
                                      "{image: i}}]\n"), 1)


@pytest.mark.parametrize(("marker", "number"), [
    ("llm/prod-pr-42", 42), ("llm/prod-pr-1", 1), ("llm/prod", None), (None, None),
    ("llm/prod-pr-", None), ("llm/prod-pr-042", None), ("llm/prod-pr-4x", None),
    ("llm/prod-pr-pr-4", None), ("llm/staging-pr-4", None), ("other/prod-pr-4", None),
    ("llm/prod-pr-4/x", None),
])
def test_preview_number_from_stack_marker(marker: str | None, number: int | None) -> None:
    assert preview_number(stack(), marker) == number


def test_merge_overrides_replaces_lists_and_merges_mappings() -> None:
    pod = {"name": "a", "ports": ["1/http"], "gpu": {"type": "X", "count": 2},
           "network_volume": {"id": "v", "path": "/v"}}
    merged = merge_overrides(pod, {"ports": ["2/tcp"], "gpu": {"count": 1},
                                   "volume": {"size_gb": 10, "path": "/w"}})
    assert merged == {"name": "a", "ports": ["2/tcp"], "gpu": {"type": "X", "count": 1},
                      "volume": {"size_gb": 10, "path": "/w"}}
    assert pod["gpu"] == {"type": "X", "count": 2}, "the input is not changed"


@pytest.mark.parametrize(("change", "expected"), [
    (("ttl_hours: 48", "ttl_hours: 0"),
     "19:14: preview.ttl_hours: must be > 0 (got 0)"),
    (("  ttl_hours: 48\n", ""), "17:1: preview: missing required key 'ttl_hours'"),
    (("label: try-it", "label: ''"), "18:10: preview.label: must not be empty"),
    (("    replicas: 1\n", "    name: other\n"),
     "22:5: preview.overrides.name: unknown key 'name'; allowed keys here: cloud_type, "
     "data_centers, disk_gb, gpu, health_check, models, network_volume, ports, replicas, "
     "rollout, runtime, tags, volume"),
    (("environment: prod}", "environment: prod-pr-7}"),
     "2:35: project.environment: 'prod-pr-7' ends like a preview stack's name "
     "({environment}-pr-{number}), which is reserved for previews; rename it"),
    (("environment: prod}", "environment: production-eu-west-blue}"),
     "17:1: preview: previews of this stack are named 'production-eu-west-blue-pr-{number}', "
     "too long for an environment name with pull request numbers of 6 digits; shorten "
     "project.environment to 22 characters or fewer"),
    (("fallback: []}", "fallback: [NVIDIA RTX A5000]}"),
     "21:3: preview.overrides (merged over pods[0]): pods[0].gpu.fallback: lists the primary "
     "type 'NVIDIA RTX A5000'; fallbacks must differ from it"),
    (("    replicas: 1\n", "    replicas: 1\n    health_check: {path: /, port: 9000}\n"),
     "21:3: preview.overrides (merged over pods[0]): pods[0].health_check.port: 9000 is not "
     "one of the pod's http ports; add '9000/http' to ports"),
])
def test_preview_block_problems_are_placed(change: tuple[str, str], expected: str) -> None:
    text = DEPLOY.replace(*change)
    assert text != DEPLOY
    _, problems = parse(text)
    assert expected in problems, problems


def test_preview_within_max_pods_is_valid() -> None:
    _, problems = parse(DEPLOY.replace("max_deletes: 0,", "max_deletes: 0, max_pods: 3,"))
    assert problems == []


def test_preview_over_max_pods_is_reported() -> None:
    text = DEPLOY.replace("max_deletes: 0,", "max_deletes: 0, max_pods: 3,") \
        .replace("replicas: 1\n", "replicas: 3\n")
    _, problems = parse(text)
    assert problems == ["21:3: preview.overrides: a preview would have 6 pods, over "
                        "guardrails.max_pods (3)"]


def test_a_preview_creates_no_network_volumes_of_its_own() -> None:
    """The pull request's `volumes` are outside the preview policy (no allow-list, no
    cost guardrail on storage) and an orphaned preview is swept by its pods alone, so
    its volumes would bill forever: previews, like endpoints, are pods only."""
    with_volumes = DEPLOY.replace("preview:\n", "volumes:\n  - {name: hf-cache, size_gb: "
                                  "4000, data_center: EU-RO-1}\npreview:\n")
    parsed, problems = parse(with_volumes)
    assert parsed is not None and parsed.volumes, problems
    assert preview_stack(parsed, 42).volumes == ()
