"""teardown(): what destroy terminates, and what it leaves alone (CONTRACT §4, §7)."""

from __future__ import annotations

from gitops_runner.plan.changes import Destroyed
from gitops_runner.plan.observed import parse_pod
from gitops_runner.plan.statefile import PodRecord, StateDoc
from gitops_runner.plan.teardown import Doomed, teardown

VOLUME = {"persistent": {"size": 30, "path": "/workspace"}}


def _pod(pod_id: str, stack: str, logical: str, mounts: dict) -> object:  # type: ignore[type-arg]
    return parse_pod({"id": pod_id, "name": f"x-{logical}", "desiredStatus": "RUNNING",
                      "mounts": mounts, "env": {"GITOPS_RUNNER_STACK": stack,
                                                "GITOPS_RUNNER_POD": logical}})


def test_teardown_names_each_pod_and_its_volume() -> None:
    doc = StateDoc.empty("p/e").with_pod("api", PodRecord(
        "pod1", "p-e-api", "h", "gpu", 1, 0.5, "t", "t", spec={"mounts": VOLUME}))
    doc = doc.forget("api").with_pod("web", PodRecord("pod2", "p-e-web", "h", "g", 1, 0, "t",
                                                       "t", spec={"mounts": VOLUME}))
    observed = [_pod("pod2", "p/e", "web", {}), _pod("pod3", "p/e", "api-1", VOLUME),
                _pod("pod4", "other/e", "api", VOLUME), _pod("pod1", "p/e", "api", VOLUME)]
    plan = teardown("p/e", doc, observed)  # type: ignore[arg-type]
    assert plan.doomed == [
        Doomed("pod3", "api-1", (Destroyed("pod volume", 30, "/workspace"),)),
        Doomed("pod2", "web", (Destroyed("pod volume", 30, "/workspace"),))]
    assert plan.left_alone == [("pod1", "unmanaged since 'state rm'")]
    assert plan.doomed[1].describe() == "web: pod pod2 (destroys: pod volume 30 GB at /workspace)"
