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


def test_a_same_named_projects_preview_stamped_by_another_repository_is_not_ours() -> None:
    """Two repositories whose deploy files share the project name `demo`: previews made in
    Actions carry the repository, so one's sweep never takes the other's #12."""
    def stamped(pod_id: str, repository: str) -> dict[str, object]:
        pod = preview_pod("demo/prod-pr-12", 12, pod_id)
        pod["env"] = {**pod["env"], "GITOPS_RUNNER_TAG_REPO": repository}  # type: ignore[dict-item]
        return pod

    pods = [parse_pod(stamped("theirs", "acme/other")), parse_pod(stamped("mine", "Acme/Models")),
            parse_pod(preview_pod("demo/prod-pr-12", 12, "unstamped"))]
    (live,) = live_previews([OURS], pods, "acme/models")
    assert sorted(p.id for p in live.pods) == ["mine", "unstamped"]  # by project, as before
    (anywhere,) = live_previews([OURS], pods)  # outside Actions: the project decides
    assert len(anywhere.pods) == 3
