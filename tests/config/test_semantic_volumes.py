"""`volumes` and pod `network_volume: {name}` in the deploy file (CONTRACT §4, §14)."""

from __future__ import annotations

from gitops_runner.config import parse_stack
from gitops_runner.config.model import NetworkVolume, StackVolume
from gitops_runner.config.naming import volume_name

GOOD = b"""\
version: 1
project: {name: llm, environment: prod}
guardrails: {allow_data_loss: true}
volumes:
  - {name: hf-cache, size_gb: 200, data_centers: [EU-RO-1, US-TX-3], type: STANDARD}
  - {name: scratch, size_gb: 50, data_center: EU-RO-1}
pods:
  - name: api
    gpu: {type: NVIDIA GeForce RTX 4090}
    network_volume: {name: hf-cache, path: /workspace}
    runtime: {image: vllm/vllm-openai:v0.6.3}
  - name: old
    gpu: {type: NVIDIA GeForce RTX 4090}
    network_volume: {id: vol-legacy, path: /data}
    runtime: {image: nginx}
"""


def test_volumes_and_named_mounts_build_the_model() -> None:
    stack, problems = parse_stack("d.yaml", GOOD)
    assert problems == [] and stack is not None
    assert stack.volumes == (
        StackVolume("hf-cache", 200, ("EU-RO-1", "US-TX-3"), per_data_center=True,
                    type="STANDARD"),
        StackVolume("scratch", 50, ("EU-RO-1",)),
    )
    assert stack.guardrails.allow_data_loss is True
    assert stack.pods[0].network_volume == NetworkVolume(None, "/workspace", name="hf-cache")
    assert stack.pods[1].network_volume == NetworkVolume("vol-legacy", "/data")


def test_volume_names_carry_the_data_center_only_with_data_centers() -> None:
    assert volume_name("llm", "prod", "hf-cache", "EU-RO-1") == "llm-prod-hf-cache-EU-RO-1"
    assert volume_name("llm", "prod", "scratch", None) == "llm-prod-scratch"


BAD = b"""\
version: 1
project: {name: llm, environment: prod, data_centers: [EU-SE-1]}
volumes:
  - {name: hf-cache, size_gb: 200, data_centers: [EU-RO-1, US-TX-3]}
  - {name: hf-cache, size_gb: 20, data_center: EU-RO-1, data_centers: [EU-RO-1]}
  - {name: tiny, size_gb: 5}
pods:
  - name: api
    gpu: {type: NVIDIA GeForce RTX 4090}
    network_volume: {name: hf-cache, path: /workspace}
    runtime: {image: nginx}
  - name: b
    gpu: {type: NVIDIA GeForce RTX 4090}
    data_centers: [EU-RO-1]
    cloud_type: COMMUNITY
    network_volume: {name: hf-cache, id: v1, path: /w}
    runtime: {image: nginx}
  - name: c
    gpu: {type: NVIDIA GeForce RTX 4090}
    network_volume: {name: nope, path: /w}
    runtime: {image: nginx}
"""


def test_volume_mistakes_are_reported_with_line_and_column() -> None:
    _, problems = parse_stack("d.yaml", BAD)
    assert [str(p) for p in problems] == [
        "d.yaml:5:5: volumes[1]: set either data_center (one volume) or data_centers (one "
        "volume per data center)",
        "d.yaml:5:12: volumes[1].name: duplicate volume name 'hf-cache'",
        "d.yaml:6:5: volumes[2]: set either data_center (one volume) or data_centers (one "
        "volume per data center)",
        "d.yaml:6:27: volumes[2].size_gb: must be >= 10 (got 5)",
        "d.yaml:10:28: pods[0].network_volume: volume 'hf-cache' is in EU-RO-1, US-TX-3, none "
        "of the pod's data_centers (EU-SE-1); a pod can only run where its volume is. Add one "
        "of them to the volume's data_centers or the pod's",
        "d.yaml:16:5: pods[1].network_volume: set either name (a volume of this file's volumes) "
        "or id (an existing volume)",
        "d.yaml:16:28: pods[1].network_volume: network volumes exist only in Secure Cloud; set "
        "cloud_type: SECURE on pods[1] (it is COMMUNITY)",
        "d.yaml:20:28: pods[2].network_volume.name: 'nope' is not in volumes (hf-cache, tiny); "
        "declare it under volumes, or mount an existing volume with {id: ...}",
    ]


def test_a_preview_override_mounting_an_undeclared_volume_is_an_error() -> None:
    text = GOOD.replace(b"pods:\n", b"preview:\n  ttl_hours: 4\n  max_hourly_cost: 2\n"
                        b"  overrides: {network_volume: {name: gone, path: /w}}\npods:\n")
    _, problems = parse_stack("d.yaml", text)
    assert [p.message for p in problems] == [
        "preview.overrides.network_volume.name: 'gone' is not in volumes; declare it under "
        "volumes, or mount an existing volume with {id: ...}"]
