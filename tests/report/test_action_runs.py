"""report/action_runs.py: each Action result value rendered (CONTRACT §8, §10, §11)."""

from __future__ import annotations

from gitops_runner.plan.changes import FieldChange
from gitops_runner.plan.drift import Finding, StackDrift
from gitops_runner.plan.model import Plan, PlanAction
from gitops_runner.plan.schedule import ScheduleEvent, ScheduleResult
from gitops_runner.report.action import AppliedRun, StackApplied
from gitops_runner.report.action_runs import (
    DestroyRun,
    DriftRun,
    PlanRun,
    ScheduleRun,
    StackDestroyed,
    StackPlanned,
    comment_preamble,
    destroyed_lines,
    drift_issue,
    drift_markdown,
    drift_outputs,
    plan_outputs,
    plan_sections,
    schedule_markdown,
)
from tests.plan.factories import stack_from_yaml
from tests.plan.test_diff import POD


def _plan(violations: tuple[str, ...] = ()) -> Plan:
    return Plan("app", "prod", "lin", 1, "obs",
                (PlanAction("api", "update", (FieldChange("image", "a", "b @mallory"),)),),
                violations=violations)


def test_plan_run_sections_carry_fingerprints_and_a_failed_stack_has_none() -> None:
    plan = _plan(("cost over the cap",))
    result = PlanRun((StackPlanned("app/prod", plan),
                      StackPlanned("app/dev", None, "state unreadable @mallory")),
                     sandbox=False, plan_json="plan.json")
    planned, failed = plan_sections(result)
    assert (planned.stack, planned.fingerprint) == ("app/prod", plan.fingerprint)
    assert planned.brief.startswith("Plan: 0 to create, 1 to update")
    assert "@mallory" not in planned.markdown, "text from files and RunPod is defused"
    assert (failed.stack, failed.fingerprint, failed.brief) == ("app/dev", None, "not planned.")
    assert "**Not planned:** state unreadable" in failed.markdown
    assert "@mallory" not in failed.markdown
    assert plan_outputs(result) == {"has-changes": "true", "plan-json": "plan.json",
                                    "summary": "1 change(s) in 1 stack(s), 1 guardrail "
                                               "violation(s)"}
    assert result.violations == ("cost over the cap",) and not result.ok
    assert PlanRun((StackPlanned("app/prod", _plan()),), False, "p.json").ok
    assert "@mallory" not in comment_preamble("- `f.yaml:1:1` @mallory")


def test_drift_run_outputs_summary_and_issue_body() -> None:
    stack = stack_from_yaml(POD)
    drifted = StackDrift(stack, [Finding("api", "drift", ("image changed",))])
    broken = StackDrift(stack_from_yaml(POD, environment="dev"), [], error="state unreadable")
    result = DriftRun((drifted, broken), (),
                      AppliedRun((StackApplied("demo/prod", "applied", "healed", True, True),)))
    assert result.drifted and result.errors
    assert drift_outputs(result) == {"has-drift": "true", "summary": "1 of 2 stack(s) drifted"}
    text = drift_markdown(result)
    assert "### Stack `demo/prod`" in text and "- **api**: drift" in text
    assert "**Error: not checked:** state unreadable" in text
    assert "demo/dev" not in drift_issue(drifted) and "image changed" in drift_issue(drifted)
    clean = DriftRun((StackDrift(stack, []),))
    assert not clean.drifted and not clean.errors
    assert drift_outputs(clean)["has-drift"] == "false"


def test_schedule_run_renders_a_code_block_and_fails_on_a_failed_event() -> None:
    done = ScheduleResult("demo/prod", "2026-12-01T08:00:00Z",
                          [ScheduleEvent("api", "start", "window opens")])
    failed = ScheduleResult("demo/dev", "2026-12-01T08:00:00Z",
                            [ScheduleEvent("api", "stop", "window closes", ok=False,
                                           detail="409 ```")])
    text = schedule_markdown(ScheduleRun((done, failed)))
    assert text.startswith("### gitops-runner schedule\n\n```\n") and text.endswith("\n```\n")
    assert "demo/prod" in text and "demo/dev" in text
    assert text.count("```") == 2, "a fence in RunPod's words cannot close the block"
    assert ScheduleRun((done,)).ok and not ScheduleRun((done, failed)).ok


def test_destroy_run_one_line_per_stack() -> None:
    result = DestroyRun((StackDestroyed("demo/prod", 2),
                         StackDestroyed("demo/dev", 1, ("pod3: 500",))))
    assert destroyed_lines(result) == ["- demo/prod: 2 pod(s) terminated",
                                       "- demo/dev: 1 pod(s) terminated, 1 failed"]
    assert not result.ok and DestroyRun((StackDestroyed("demo/prod", 0),)).ok
    assert not DestroyRun((StackDestroyed("demo/prod", 0),), "lock held").ok

