"""report/action.py: the Action's markdown, from result values (CONTRACT §8, §12)."""

from __future__ import annotations

from gitops_runner.report.action import (
    AppliedRun,
    StackApplied,
    applied_markdown,
    applied_summary,
    preview_revoked,
)


def test_applied_markdown_names_each_outcome_and_defuses_text() -> None:
    result = AppliedRun((
        StackApplied("app/prod", "applied", "app/prod: 1 created", converged=True, changed=True),
        StackApplied("app/stage", "plan-changed", reviewed="aaa", now="bbb"),
        StackApplied("app/dev", "error", "lock held by @mallory"),
        StackApplied("app/eu", "applied", "app/eu: 0 created", converged=False,
                     failed=("api create: no capacity",)),
    ))
    text = applied_markdown(result)
    assert text.startswith("### gitops-runner apply\n\n")
    assert "- :white_check_mark: app/prod: 1 created" in text
    assert "plan changed since review — reviewed `aaa`, now `bbb`. Not applied." in text
    assert "@mallory" not in text, "mentions from outside text are defused"
    assert "  - failed: api create: no capacity" in text
    assert not result.ok and result.changed
    assert applied_summary(AppliedRun(result.stacks[:1])) == \
        ":white_check_mark: app/prod: 1 created"
    assert applied_summary(result) == "applied 4 stack(s)"


def test_preview_revoked_says_the_new_head_needs_the_label_again() -> None:
    text = preview_revoked("preview", "0123456789abcdef", removed=True)
    assert "the `preview` label was removed" in text
    assert "the new head `0123456789ab` needs it again" in text
    assert "stays at the commit last approved" in text


def test_plan_brief_keeps_the_counts_and_every_pod_it_terminates() -> None:
    from gitops_runner.plan.model import Plan, PlanAction
    from gitops_runner.report.action import plan_brief

    plan = Plan("app", "prod", "lin", 1, "obs", (
        PlanAction("api-0", "update", ("image: a -> b",)),
        PlanAction("api-1", "replace", ("gpu: x -> y",), before={"id": "pod111"}),
        PlanAction("db", "delete", ("removed from the file",), before={"id": "pod222"}),
    ))
    brief = plan_brief(plan)
    assert brief.splitlines()[0].startswith("Plan: 0 to create, 1 to update, 1 to replace, "
                                            "1 to delete")
    assert "- `api-1`: replace (terminates pod pod111)" in brief
    assert "- `db`: delete (terminates pod pod222)" in brief
    assert "api-0" not in brief
