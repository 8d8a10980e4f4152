"""#22: one stack's broken state stops only that stack's plan and drift; two states of
one stack name never touch each other's pods; a pod gone right after its create is
missing now; destroy names what it destroys; a locked pod's 409 is not "stopped"."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from gitops_runner.engine.apply import ApplyOptions, ApplyResult, apply_stack
from gitops_runner.engine.observe import drift_stacks
from gitops_runner.engine.session import Session
from gitops_runner.plan.identity import MARKER_LINEAGE
from gitops_runner.runpod.simulator.model import Fault
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import World
from gitops_runner.state.factory import open_backend
from tests.fakes.clock import ScaledClock
from tests.helpers import SANDBOX, make_session, run_cli, sim_access
from tests.plan.factories import stack_from_yaml
from tests.scenarios.test_multistack import STACK  # the same two-stack layout

PODS = """
guardrails: {allow_delete: true}
pods:
  - name: api
    gpu: {type: NVIDIA GeForce RTX 4090}
    runtime: {image: "img:1"}
    volume: {size_gb: 20, path: /workspace}
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deploy").mkdir()
    for name in ("alpha", "beta"):
        (tmp_path / "deploy" / f"{name}.yaml").write_text(STACK.format(name=name))
    return tmp_path


@pytest.mark.parametrize("command", [["plan"], ["drift"], ["plan", "--format", "json"],
                                     ["drift", "--format", "json"]])
def test_one_broken_state_does_not_stop_the_other_stacks(repo: Path,
                                                         command: list[str]) -> None:
    assert run_cli(["apply", "--auto-approve"], SANDBOX).code == 0
    (repo / ".state" / "alpha" / "prod.json").write_text("{not json")
    result = run_cli(command, SANDBOX)
    assert result.code == 1
    if "json" in command:
        report = json.loads(result.out)
        if command[0] == "plan":
            assert [p["stack"]["project"] for p in report["stacks"]] == ["beta"]
            assert [e["stack"] for e in report["errors"]] == ["alpha/prod"]
        else:
            by_stack = {s["stack"]: s for s in report["stacks"]}
            assert "error" in by_stack["alpha/prod"] and "error" not in by_stack["beta/prod"]
    else:
        assert "beta/prod" in result.out
        assert "alpha/prod" in result.out + result.err
        assert "No drift" in result.out or "No changes" in result.out or "no changes" in \
            result.out.lower()


def _session_for(state_dir: Path, clock: ScaledClock) -> Session:
    session = make_session(clock=clock)
    session.backends = lambda stack, log: open_backend(
        stack_from_yaml(PODS, f"state: {{path: {state_dir}}}\n"), log)
    return session


def _apply(sim: Simulator, session: Session) -> ApplyResult:
    return apply_stack(session, stack_from_yaml(PODS), sim_access(sim), {}, ApplyOptions())


def _alive(world: World) -> dict[str, str]:
    """pod id -> its lineage marker."""
    return {p.id: p.env.get(MARKER_LINEAGE, "") for p in world.pods.values()
            if not p.terminated}


def test_two_lineages_one_after_the_other_never_touch_each_others_pod(
        fast_sim: Simulator, fast_world: World, tmp_path: Path,
        vclock: ScaledClock) -> None:
    first, second = _session_for(tmp_path / "a", vclock), _session_for(tmp_path / "b", vclock)
    assert _apply(fast_sim, first).converged
    (mine,) = _alive(fast_world)
    # A second state (another repository, a changed prefix) applies the same stack name.
    result = _apply(fast_sim, second)
    assert result.converged
    assert mine in _alive(fast_world) and len(_alive(fast_world)) == 2
    assert len(set(_alive(fast_world).values())) == 2  # each pod carries its own lineage
    # And back: each plans nothing for the other's pod, and warns about it.
    for session in (first, second, first):
        again = _apply(fast_sim, session)
        assert again.converged and again.outcomes == []
    assert len(_alive(fast_world)) == 2
    plan = run_plan(fast_sim, first)
    assert plan.actions == ()
    assert any("belongs to another state" in w for w in plan.warnings)
    (drift,) = drift_stacks(first, [stack_from_yaml(PODS)], sim_access(fast_sim).client, {})
    assert drift.findings == [] and any("another state" in n for n in drift.notes)


def run_plan(sim: Simulator, session: Session):  # type: ignore[no-untyped-def]
    from gitops_runner.engine.observe import plan_stacks

    (planned,) = plan_stacks(session, [stack_from_yaml(PODS)], sim_access(sim).client, {})
    return planned.plan


def test_two_lineages_applying_at_once_each_keep_their_own_pod(
        fast_sim: Simulator, fast_world: World, tmp_path: Path,
        vclock: ScaledClock) -> None:
    sessions = [_session_for(tmp_path / "a", vclock), _session_for(tmp_path / "b", vclock)]
    results: list[ApplyResult] = []
    threads = [threading.Thread(target=lambda s=s: results.append(_apply(fast_sim, s)))
               for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 2 and all(r.converged for r in results)
    alive = _alive(fast_world)
    assert len(alive) == 2 and len(set(alive.values())) == 2
    assert not any(o.action == "delete" for r in results for o in r.outcomes)
    for session in sessions:
        assert _apply(fast_sim, session).outcomes == []
    assert _alive(fast_world) == alive


def test_a_pod_terminated_right_after_its_create_is_recreated_and_drift_says_missing(
        fast_sim: Simulator, fast_world: World, tmp_path: Path,
        vclock: ScaledClock) -> None:
    session = _session_for(tmp_path / "a", vclock)
    assert _apply(fast_sim, session).converged
    (gone,) = _alive(fast_world)
    fast_world.pods[gone].terminated = True  # terminated by hand, seconds after the create
    (drift,) = drift_stacks(session, [stack_from_yaml(PODS)], sim_access(fast_sim).client, {})
    assert any("missing" in r for f in drift.findings for r in f.reasons)
    result = _apply(fast_sim, session)
    # Re-created at once (then the gone pod's id is dropped from state).
    assert result.converged and result.outcomes[0].action == "create"
    assert all(o.ok for o in result.outcomes)
    assert len(_alive(fast_world)) == 1 and gone not in _alive(fast_world)


def test_destroy_lists_every_pod_and_its_volume_before_asking_and_in_its_report(
        repo: Path) -> None:
    (repo / "deploy" / "beta.yaml").unlink()
    (repo / "deploy" / "alpha.yaml").write_text(STACK.format(name="alpha") + (
        "    replicas: 2\n    volume: {size_gb: 20, path: /workspace}\n"))
    assert run_cli(["apply", "--auto-approve"], SANDBOX).code == 0
    asked = run_cli(["destroy", "--format", "json"], SANDBOX)  # no terminal: refused
    assert asked.code == 1
    assert "will terminate 2 pod(s)" in asked.err + asked.out
    assert (asked.err + asked.out).count("20 GB pod volume at /workspace") == 2
    done = run_cli(["destroy", "--auto-approve"], SANDBOX)
    assert done.code == 0
    assert done.out.count("terminated api") == 2 and "20 GB pod volume" in done.out
    report = json.loads(run_cli(["destroy", "--auto-approve", "--format", "json"],
                                SANDBOX).out)
    assert report["stacks"][0]["pods"] == []


def test_a_locked_pods_409_on_stop_is_reported_and_nothing_is_journaled(
        fast_sim: Simulator, fast_world: World, tmp_path: Path,
        vclock: ScaledClock) -> None:
    session = _session_for(tmp_path / "a", vclock)
    assert _apply(fast_sim, session).converged
    (pod_id,) = _alive(fast_world)
    fast_world.pods[pod_id].locked = True
    # RUNPOD.md: locked pods cannot be stopped; RunPod answers 409 (wording uncertain).
    fast_world.faults.append(Fault("POST /v2/pods/*", "5xx", status=409, times=5))
    stopped = PODS.replace("volume:", "status: stopped\n    volume:")
    result = apply_stack(session, stack_from_yaml(stopped), sim_access(fast_sim), {},
                         ApplyOptions(max_attempts=1))
    assert not result.converged
    assert any("locked on RunPod" in o.detail for o in result.failed)
    store, _ = session.backend(stack_from_yaml(PODS))
    record = store.read().doc.pods["api"]  # type: ignore[union-attr]
    assert record.cost > 0  # still billing: state does not say it is off
