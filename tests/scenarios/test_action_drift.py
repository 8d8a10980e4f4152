"""The action on schedule and workflow_dispatch: drift issues by the bot only, reconcile
only on the default branch."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.action_repo import ActionRepo
from tests.fakes.clock import VIRTUAL
from tests.fakes.github import add_issue, push_event, user


def applied_then_stopped(action_repo: ActionRepo) -> None:
    assert action_repo.run("push", push_event(), command="apply").code == 0
    world_path = action_repo.root / ".state" / "sandbox" / "runpod.json"
    world = json.loads(world_path.read_text())
    world["pods"][0]["stopped"] = True
    world_path.write_text(json.dumps(world))


def test_action_schedule_opens_updates_and_closes_drift_issue(action_repo: ActionRepo) -> None:
    applied_then_stopped(action_repo)
    first = action_repo.run("schedule", {})
    assert first.code == 2
    (issue,) = action_repo.gh.issues.values()
    assert issue["state"] == "open" and issue["labels"] == ["drift"]
    assert issue["body"].startswith("<!-- gitops-runner:drift stack=app/prod -->\n")
    assert "status: EXITED" in issue["body"]
    assert action_repo.output("has-drift") == "true"
    second = action_repo.run("schedule", {})
    assert second.code == 2 and len(action_repo.gh.issues) == 1
    healed = action_repo.run("workflow_dispatch", {}, reconcile="true")
    assert healed.code == 0, healed.err
    assert issue["state"] == "closed"
    closing = [c for c in action_repo.gh.comments.values() if c["issue"] == issue["number"]]
    assert "has converged" in closing[0]["body"]


def test_action_drift_issue_by_someone_else_is_never_adopted(action_repo: ActionRepo) -> None:
    applied_then_stopped(action_repo)
    theirs = add_issue(action_repo.gh, "Drift in app/prod",
                       "<!-- gitops-runner:drift stack=app/prod -->\nplease close me",
                       ["drift"], user("mallory"))
    assert action_repo.run("schedule", {}).code == 2
    assert action_repo.gh.issues[theirs]["body"].endswith("please close me")
    ours = [i for i in action_repo.gh.issues.values() if i["user"]["type"] == "Bot"]
    assert len(ours) == 1 and ours[0]["number"] != theirs


def test_action_dispatch_reconcile_from_a_feature_branch_is_refused(
        action_repo: ActionRepo) -> None:
    applied_then_stopped(action_repo)
    before = (action_repo.root / ".state" / "sandbox" / "runpod.json").read_text()
    result = action_repo.run("workflow_dispatch", {}, ref="refs/heads/feature",
                             reconcile="true")
    assert result.code == 1
    assert "refusing reconcile: true on a workflow_dispatch event for refs/heads/feature" \
        in result.err
    assert (action_repo.root / ".state" / "sandbox" / "runpod.json").read_text() == before


def test_action_dispatch_on_a_feature_branch_reports_drift_without_issues(
        action_repo: ActionRepo) -> None:
    applied_then_stopped(action_repo)
    result = action_repo.run("workflow_dispatch", {}, ref="refs/heads/feature")
    assert result.code == 2
    assert "drift issues are left alone" in action_repo.summary()
    assert action_repo.gh.issues == {}


def _closed_window_now() -> str:
    # A window on a day three days from the (virtual) now: certainly closed for the test.
    now = datetime.fromtimestamp(VIRTUAL.time(), UTC)
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[(now.weekday() + 3) % 7]
    return f"{day} 10:00-11:00"


def test_action_scheduled_run_stops_pods_outside_their_window_then_drift_is_clean(
        action_repo: ActionRepo) -> None:
    assert action_repo.run("push", push_event(), command="apply").code == 0
    deploy = action_repo.root / "deploy" / "app.yaml"
    deploy.write_text(deploy.read_text().replace(
        "    health_check:",
        f"    schedule: {{timezone: UTC, running: [\"{_closed_window_now()}\"]}}\n"
        "    health_check:"))
    # CONTRACT §4: a schedule nobody applied stops nothing (issue 21); drift says pending.
    unreviewed = action_repo.run("schedule", {})
    assert "Nothing to start or stop" in unreviewed.err
    assert "stop (outside" not in unreviewed.err
    applied = action_repo.run("push", push_event(), command="apply")
    assert applied.code == 0, applied.err
    result = action_repo.run("schedule", {})
    assert result.code == 0, result.err
    assert "api: stop (outside its running windows" in result.err
    summary = (action_repo.root / "summary.md").read_text()
    assert "### gitops-runner schedule" in summary
    assert action_repo.output("has-drift") == "false", "a pod stopped by its schedule is not drift"
    world = json.loads((action_repo.root / ".state" / "sandbox" / "runpod.json").read_text())
    assert [p["stopped"] for p in world["pods"] if not p["terminated"]] == [True]


def test_action_command_schedule_only_starts_and_stops(action_repo: ActionRepo) -> None:
    assert action_repo.run("push", push_event(), command="apply").code == 0
    result = action_repo.run("workflow_dispatch", {}, command="schedule")
    assert result.code == 0, result.err
    assert action_repo.gh.issues == {}, "command: schedule runs no drift"
