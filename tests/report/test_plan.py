from __future__ import annotations

from gitops_runner.report.plan import render_markdown, render_text, signed_money
from tests.plan.test_diff import POD, applied, plan


def test_render_text_terraform_like() -> None:
    raw, state = applied()
    text = render_text(plan(POD.replace("info", "debug"), [raw], state))
    assert text == (
        "Stack demo/prod\n"
        "  ~ api  update (restarts container)  NVIDIA GeForce RTX 4090 x1  $0.69/h  (pod pod1)\n"
        "      env.LOG_LEVEL: 'info' -> 'debug'\n"
        "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete, 0 unchanged.\n"
        "Cost: $0.69/h -> $0.69/h (±$0.00/h)\n"
        "Monthly (30 days, GPU + storage, each pod at its current GPU, or its first choice): "
        "$500.80/month -> $500.80/month\n")


def test_render_text_colours_only_when_asked() -> None:
    p = plan()
    assert "\x1b[" not in render_text(p)
    assert "\x1b[32m+ api  create" in render_text(p, color=True)


def test_render_text_shows_violations_and_warnings() -> None:
    raw, _ = applied()
    raw["env"] = {}
    text = render_text(plan(observed=[raw], extra="guardrails: {max_hourly_cost: 0.1}\n"))
    assert "Warning: pod pod1 is named 'demo-prod-api'" in text
    assert "Guardrail violations (this plan will not be applied):\n  x max_hourly_cost:" in text


def test_render_markdown_summary_table_first_and_deletes_bold() -> None:
    raw, state = applied()
    other = "pods:\n  - name: web\n    gpu: {type: NVIDIA L4}\n    runtime: {image: x}\n"
    md = render_markdown(plan(other, [raw], state))
    lines = md.splitlines()
    assert lines[0] == "### Stack `demo/prod`"
    assert lines[2].startswith("| create | update | replace | delete |")
    assert lines[4] == "| 1 | 0 | 0 | **1** | 0 | 0 | 0.69 | 0.49 | -$0.20/h |"
    assert "<details><summary>Plan: 1 to create" in md
    assert "```diff\n+ web  create" in md and "- api  delete" in md


def test_render_markdown_violations_are_a_caution_block() -> None:
    md = render_markdown(plan(extra="guardrails: {max_hourly_cost: 0.1}\n"))
    assert "> [!CAUTION]\n> **Guardrail violations**" in md


def test_render_markdown_no_changes() -> None:
    raw, state = applied()
    md = render_markdown(plan(observed=[raw], state=state))
    assert md.rstrip().endswith("No changes. 1 pod(s) up to date.")


def test_render_signed_money() -> None:
    assert [signed_money(v) for v in (1.5, -0.25, 0)] == ["+$1.50/h", "-$0.25/h", "±$0.00/h"]


def test_render_text_state_only_update_says_no_restart() -> None:
    raw, state = applied()
    text = render_text(plan(POD.replace("[NVIDIA RTX A6000]", "[NVIDIA RTX A6000, NVIDIA A40]"),
                            [raw], state))
    assert "  ~ api  update (state only)  NVIDIA GeForce RTX 4090 x1" in text


def _destroying_plan():  # type: ignore[no-untyped-def]
    raw, state = applied()
    other = "pods:\n  - name: web\n    gpu: {type: NVIDIA L4}\n    runtime: {image: x}\n"
    return plan(other, [raw], state)


def test_render_text_names_what_an_action_destroys() -> None:
    text = render_text(_destroying_plan())
    assert "  - api  delete" in text
    assert "      destroys: pod volume 20 GB at /workspace\n" in text
    assert "allow_data_loss is false" in text


def test_render_markdown_names_what_a_plan_destroys_outside_the_details() -> None:
    md = render_markdown(_destroying_plan())
    head = md.split("<details>")[0]
    assert "> **This plan destroys data:**\n> - `api`: pod volume 20 GB at /workspace" in head
    assert "#     destroys: pod volume 20 GB at /workspace" in md


def test_render_json_destroys_and_changes_are_data() -> None:
    import json

    from gitops_runner.report.plan import render_plans

    data = json.loads(render_plans([_destroying_plan()], "json"))["stacks"][0]
    delete = next(a for a in data["actions"] if a["action"] == "delete")
    assert delete["destroys"] == [{"kind": "pod volume", "size_gb": 20, "path": "/workspace"}]
    raw, state = applied()
    update = json.loads(render_plans([plan(POD.replace("info", "debug"), [raw], state)],
                                     "json"))["stacks"][0]["actions"][0]
    assert update["changes"] == [{"field": "env.LOG_LEVEL", "before": "info", "after": "debug",
                                  "forces_replace": False, "sensitive": False}]


def test_render_text_moved_pod_headline() -> None:
    raw, state = applied(POD.replace("name: api", "name: chat"))
    text = render_text(plan(POD, [raw], state,
                            extra="guardrails: {}\nmoved: [{from: chat, to: api}]\n"))
    assert "  ~ api (moved from chat)  update (restarts container)" in text


def test_render_text_state_only_declared_change() -> None:
    raw, state = applied()
    pods = POD.replace("    runtime:", "    rollout: {max_unavailable: 2}\n    runtime:")
    text = render_text(plan(pods, [raw], state))
    assert "  ~ api  update (state only)" in text
    assert ("      rollout: {max_unavailable: 1, max_surge: 1} -> "
            "{max_unavailable: 2, max_surge: 1}\n") in text


def test_a_plan_that_only_grows_a_volume_says_so_in_its_summary() -> None:
    import dataclasses

    from gitops_runner.plan.network_volumes import VolumeAction
    from gitops_runner.report.plan import summary_line

    raw, state = applied()
    grow = VolumeAction("cache", "EU-RO-1", "grow", "demo-prod-cache", ("size_gb: 100 -> 150",),
                        100, 150, volume_id="v1")
    unchanged = plan(observed=[raw], state=state)
    assert not unchanged.actions
    grown = dataclasses.replace(unchanged, volume_actions=(grow,))
    assert summary_line(grown) == "Plan: no pod changes, 1 unchanged. Volumes: 1 to grow."


def test_render_endpoint_bounds_beside_the_monthly_figure() -> None:
    """Endpoints bill per worker-second: their min/max bounds are said next to the pods'
    monthly figure, never silently left out of it (issue 26, CONTRACT §14)."""
    from dataclasses import replace

    from gitops_runner.plan.endpoint_diff import EndpointCost

    p = replace(plan(), endpoint_costs=(EndpointCost("chat", 1.12, 3.36),
                                        EndpointCost("embed", 0.0, 0.69)))
    expected = ("Serverless endpoints, not in the figures above: $1.12/h at min workers "
                "($806.40/month always on), up to $4.05/h at max workers")
    assert expected in render_text(p)
    assert expected in render_markdown(p)
    assert "Serverless endpoints" not in render_text(plan())
