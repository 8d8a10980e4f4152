"""plan/previews.py: live previews found by their markers, and only this repository's."""

from __future__ import annotations

from gitops_runner.plan.observed import parse_pod
from gitops_runner.plan.previews import live_previews, orphans_of
from tests.plan.factories import stack_from_yaml

OURS = stack_from_yaml("""
pods:
  - {name: api, gpu: {type: NVIDIA L4}, runtime: {image: "img:1"}}
preview: {label: preview, ttl_hours: 48, max_hourly_cost: 5}
""")


def preview_pod(stack: str, number: int, pod_id: str) -> dict[str, object]:
    return {"id": pod_id, "name": stack.replace("/", "-") + "-api", "desiredStatus": "RUNNING",
            "env": {"GITOPS_RUNNER_STACK": stack, "GITOPS_RUNNER_TAG_PR": str(number)}}


def test_another_projects_preview_with_the_same_pull_request_number_is_not_ours() -> None:
    """Two repositories on one RunPod account both have a pull request #12: our #12's
    events and our sweep never see (or destroy) the other project's preview."""
    pods = [parse_pod(preview_pod("chat/prod-pr-12", 12, "theirs")),
            parse_pod(preview_pod("demo/stage-pr-12", 12, "renamed")),
            parse_pod(preview_pod("demo/prod-pr-12", 12, "live"))]
    live = live_previews([OURS], pods)
    assert [(p.name, p.orphan) for p in live] == [("demo/prod-pr-12", False),
                                                  ("demo/stage-pr-12", True)]
    assert [p.name for p in orphans_of(live, 12, ["demo/prod-pr-12"])] == ["demo/stage-pr-12"]
