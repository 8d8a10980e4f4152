"""plan/preview_policy.py: each allow-list rule, named in the violation."""

from __future__ import annotations

from dataclasses import replace

from gitops_runner.config.model import NetworkVolume, Preview, SecretRef
from gitops_runner.plan.preview_policy import policy_violations
from tests.plan.factories import stack_from_yaml

PODS = """\
pods:
  - name: api
    gpu: {type: NVIDIA L4, fallback: [NVIDIA A40]}
    runtime:
      image: vllm/vllm-openai:v1
      registry_auth_id: reg-1
      env: {HF_TOKEN: {secret: HF_TOKEN}, KEY: "{{ RUNPOD_SECRET_key }}"}
preview: {ttl_hours: 1, max_hourly_cost: 5}
"""


def policy(**fields: object) -> Preview:
    base = stack_from_yaml(PODS).preview
    assert base is not None
    return replace(base, **fields)  # type: ignore[arg-type]


def test_every_rule_is_named_and_defaults_allow_no_secret_volume_or_registry() -> None:
    found = policy_violations(policy(allowed_gpu_types=("NVIDIA L4",),
                                     allowed_images=("img:",)))
    rules = sorted(v.split(":", 1)[0] for v in found)
    assert rules == ["preview.allow_runpod_secrets", "preview.allowed_gpu_types",
                     "preview.allowed_images", "preview.allowed_secrets",
                     "preview.registry_auth_ids"]
    assert "pod api asks for NVIDIA A40" in " ".join(found), "fallbacks count"


def test_a_policy_that_allows_everything_the_pod_uses_passes() -> None:
    assert policy_violations(policy(allowed_images=("vllm/vllm-openai:",),
                                    allowed_secrets=("HF_TOKEN",), allow_runpod_secrets=True,
                                    registry_auth_ids=("reg-1",))) == []


def test_network_volumes_need_the_policy() -> None:
    base = policy(allowed_secrets=("HF_TOKEN",), allow_runpod_secrets=True,
                  registry_auth_ids=("reg-1",))
    pods = tuple(replace(p, network_volume=NetworkVolume("vol-9", "/m")) for p in base.pods)
    (found,) = policy_violations(replace(base, pods=pods))
    assert found.startswith("preview.network_volumes: pod api mounts network volume vol-9")
    assert policy_violations(replace(base, pods=pods, network_volumes=("vol-9",))) == []
    assert isinstance(base.pods[0].runtime.env["HF_TOKEN"], SecretRef)


def test_a_models_api_key_secret_needs_the_policy() -> None:
    from gitops_runner.config.model import Model

    base = policy(allowed_images=("vllm/",), allow_runpod_secrets=True,
                  allowed_secrets=("HF_TOKEN",), registry_auth_ids=("reg-1",))
    pods = tuple(replace(p, models=(Model("m", "org/m", api_key=SecretRef("SERVE_KEY")),))
                 for p in base.pods)
    (found,) = policy_violations(replace(base, pods=pods))
    assert found.startswith("preview.allowed_secrets: pod api model m api_key receives secret "
                            "SERVE_KEY")


def test_a_named_stack_volume_is_refused_with_the_way_out() -> None:
    base = policy()
    named = replace(base, pods=(replace(base.pods[0], network_volume=NetworkVolume(
        None, "/workspace", "hf-cache")),))
    assert any("mounts the stack's volume hf-cache, which a preview does not get" in v
               for v in policy_violations(named))
def test_a_mount_of_the_stacks_own_volume_is_refused_by_name() -> None:
    base = policy(allowed_secrets=("HF_TOKEN",), allow_runpod_secrets=True,
                  registry_auth_ids=("reg-1",), network_volumes=("hf-cache",))
    pods = tuple(replace(p, network_volume=NetworkVolume(None, "/m", "hf-cache"))
                 for p in base.pods)
    (found,) = policy_violations(replace(base, pods=pods))
    assert found.startswith("preview.network_volumes: pod api mounts the stack's volume "
                            "hf-cache, which a preview does not get")
