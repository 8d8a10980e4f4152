"""What RunPod says about a pod, read defensively: odd or missing values are unknown,
never a difference that restarts or replaces the pod (CONTRACT §4)."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_runner.plan.observed import declared_runtime_ports, parse_pod, restarted
from tests.plan.test_diff import applied, plan
from tests.plan.test_drift import findings

INJECTED = {"PUBLIC_KEY": "ssh-ed25519 AAAA user@host", "JUPYTER_PASSWORD": "x1y2",
            "RUNPOD_POD_ID": "pod1", "RUNPOD_API_KEY": "rpa_scoped"}


def test_observed_env_runpod_injects_is_not_a_change() -> None:
    raw, state = applied()
    raw["env"] = {**raw["env"], **INJECTED}
    assert plan(observed=[raw], state=state).actions == ()
    assert findings([raw], state) == []


def test_observed_env_runpod_injects_is_ignored_when_adopting() -> None:
    raw, _ = applied()
    raw["env"] = {**raw["env"], **INJECTED}
    p = plan(observed=[raw])
    assert [(a.action, a.reasons) for a in p.actions] == [
        ("adopt", ("adopting pod pod1 found by its markers (not in state)",))]


def test_observed_env_key_added_by_hand_is_still_drift() -> None:
    raw, state = applied()
    raw["env"] = {**raw["env"], "DEBUG": "1"}
    assert [a.reasons for a in plan(observed=[raw], state=state).actions] == [
        ("env.DEBUG: removed",)]


@pytest.mark.parametrize("change", [
    {"gpu": None}, {"gpu": {"id": "NVIDIA GeForce RTX 4090", "count": "one"}},
    {"gpu": {"count": 1}}, {"mounts": None}, {"cloud": None},
])
def test_observed_missing_or_odd_placement_never_plans_a_replace(change: dict[str, Any]) -> None:
    raw, state = applied()
    for key, value in change.items():
        if value is None:
            raw.pop(key)
        else:
            raw[key] = value
    assert plan(observed=[raw], state=state).actions == ()
    raw.update({k: None for k, v in change.items() if v is None})
    assert plan(observed=[raw], state=state).actions == ()


@pytest.mark.parametrize("disk", [20.0, "20"])
def test_observed_disk_as_float_or_text_is_read_not_patched(disk: object) -> None:
    raw, state = applied()
    raw["disk"] = disk
    assert parse_pod(raw).disk == 20
    assert plan(observed=[raw], state=state).actions == ()


def test_observed_ports_as_a_string_are_split() -> None:
    raw, state = applied()
    raw["ports"] = "8000/http"
    assert parse_pod(raw).ports == ("8000/http",)
    assert plan(observed=[raw], state=state).actions == ()


def test_observed_null_disk_and_args_are_unknown_not_patched() -> None:
    raw, state = applied()
    raw["disk"] = None
    raw.pop("args")
    assert parse_pod(raw).unknown >= {"disk", "args"}
    assert plan(observed=[raw], state=state).actions == ()


def test_observed_garbage_values_do_not_crash() -> None:
    pod = parse_pod({"id": 7, "gpu": "x", "env": ["A=1"], "ports": 5, "disk": True,
                     "mounts": "none", "cost": "cheap", "createdAt": 3, "runtime": "up"})
    assert pod.id == "7" and pod.gpu_id is None and pod.env == {} and pod.disk is None
    assert {"gpu", "gpu.count", "ports", "disk"} <= pod.unknown


def test_observed_platform_port_is_not_a_user_endpoint() -> None:
    raw = {"ports": ["8000/http"], "runtime": {"ports": [
        {"private": 19123, "public": 19123, "type": "http", "ip": "100.65.0.2"},
        {"private": 8000, "public": 40123, "type": "http", "ip": "100.65.0.2"}]}}
    assert [p["private"] for p in declared_runtime_ports(raw)] == [8000]


def test_observed_only_the_platform_port_mapped_is_not_ready() -> None:
    raw, _ = applied(runtime={"ports": [{"private": 19123, "public": 19123, "type": "http"}]})
    assert not parse_pod(raw).has_runtime_ports


def test_observed_restarted_only_when_a_newer_container_shows() -> None:
    old = parse_pod({"status": "RUNNING", "startedAt": "2026-11-27T10:00:00Z",
                     "runtime": {"uptime": 600}})
    stale = parse_pod({"status": "RUNNING", "startedAt": "2026-11-27T10:00:00Z",
                       "runtime": {"uptime": 610}})
    booting = parse_pod({"status": "STARTING", "startedAt": None, "runtime": None})
    fresh = parse_pod({"status": "RUNNING", "startedAt": "2026-11-27T10:10:30Z",
                       "runtime": {"uptime": 3}})
    assert not restarted(old, stale) and not restarted(old, booting)
    assert restarted(old, fresh)
    assert restarted(parse_pod({"status": "RUNNING", "runtime": {"uptime": 600}}),
                     parse_pod({"status": "RUNNING", "runtime": {"uptime": 2}}))
