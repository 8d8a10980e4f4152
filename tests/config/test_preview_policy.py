"""config/preview_policy.py: the pull request's pods under the default branch's policy."""

from __future__ import annotations

from gitops_runner.config.preview_policy import bind_policy

HEAD = b"""\
version: 1
project: {name: app, environment: prod}
pods:
  - name: api
    gpu: {type: NVIDIA H100 80GB HBM3, count: 8}
    runtime: {image: "mallory/miner:1"}
preview: {label: mine, ttl_hours: 720, max_hourly_cost: 500}
"""
DEFAULT = HEAD.replace(b"preview: {label: mine, ttl_hours: 720, max_hourly_cost: 500}",
                       b"preview: {label: preview, ttl_hours: 24, max_hourly_cost: 2,\n"
                       b"  overrides: {gpu: {count: 1}}, allowed_images: ['img:']}")


def test_bind_policy_takes_everything_bounding_from_the_default_branch() -> None:
    bound = bind_policy("deploy/app.yaml", HEAD, DEFAULT)
    assert bound.stack is not None and bound.stack.preview is not None
    preview = bound.stack.preview
    assert (preview.label, preview.ttl_hours, preview.max_hourly_cost) == ("preview", 24, 2)
    assert preview.allowed_images == ("img:",)
    (pod,) = preview.pods
    assert pod.runtime.image == "mallory/miner:1", "the pods are the pull request's"
    assert pod.gpu.count == 1, "the default branch's overrides are merged over them"


def test_bind_policy_without_a_policy_has_no_preview() -> None:
    assert bind_policy("deploy/app.yaml", HEAD, None).stack is None
    no_block = DEFAULT.split(b"preview:")[0]
    bound = bind_policy("deploy/app.yaml", HEAD, no_block)
    assert bound.stack is None and "has no preview block" in bound.reason
    assert "does not parse" in bind_policy("deploy/app.yaml", HEAD, b"a: [").reason
