"""Plans as text (Terraform-like), markdown (for pull-request comments) and JSON
(the plan file format)."""

from __future__ import annotations

from collections.abc import Sequence

from gitops_runner.plan.cost import hourly_after
from gitops_runner.plan.model import Plan, PlanAction
from gitops_runner.plan.placement import Landing
from gitops_runner.plan.planfile import render_plan_file
from gitops_runner.plan.rollout import plan_batches
from gitops_runner.report import endpoints
from gitops_runner.report import network_volumes as volumes

SYMBOLS = {"create": "+", "update": "~", "replace": "-/+", "delete": "-", "adopt": "<=",
           "start": ">", "stop": "||"}
COLORS = {"create": "32", "update": "33", "replace": "35", "delete": "31", "adopt": "36",
          "start": "32", "stop": "33"}


def money(value: float) -> str:
    return f"${value:,.2f}/h"


def signed_money(value: float) -> str:
    sign = "+" if value > 0 else ("-" if value < 0 else "±")
    return f"{sign}${abs(value):,.2f}/h"


def state_only_count(plan: Plan) -> int:
    """Reviewed changes that send nothing to RunPod (CONTRACT §4): recorded in state."""
    return sum(1 for a in plan.actions if a.action == "update" and a.state_only)


def pod_updates(plan: Plan) -> int:
    """Updates that touch a pod on RunPod (state-only changes are not among them)."""
    return plan.count("update") - state_only_count(plan)


def summary_line(plan: Plan) -> str:
    if not plan.has_changes:
        return (f"No changes. {len(plan.unchanged)} pod(s) up to date."
                + endpoints.summary(plan))
    if not plan.actions and not plan.endpoint_actions and not plan.volume_actions:
        return (f"Plan: {len(plan.stack_changes)} stack setting(s) to record (state only), "
                f"{len(plan.unchanged)} unchanged.")
    if not plan.actions:
        settings = (f" {len(plan.stack_changes)} stack setting(s) to record (state only)."
                    if plan.stack_changes else "")
        return (f"Plan: no pod changes, {len(plan.unchanged)} unchanged." + settings
                + volumes.summary(plan) + endpoints.summary(plan))
    parts = [f"{plan.count('create')} to create", f"{pod_updates(plan)} to update",
             f"{plan.count('replace')} to replace", f"{plan.count('delete')} to delete"]
    for kind in ("adopt", "start", "stop"):
        if plan.count(kind):
            parts.append(f"{plan.count(kind)} to {kind}")
    if state_only_count(plan):
        parts.append(f"{state_only_count(plan)} to record in state only (no RunPod request)")
    if plan.stack_changes:
        parts.append(f"{len(plan.stack_changes)} stack setting(s) to record (state only)")
    return (f"Plan: {', '.join(parts)}, {len(plan.unchanged)} unchanged."
            + volumes.summary(plan) + endpoints.summary(plan))


def _effect(a: PlanAction) -> str:
    """What an update does to the running pod: on RunPod every PATCH restarts it."""
    if a.action != "update":
        return ""
    if a.state_only:
        return " (state only)"
    return " (restarts container)" if a.patch_fields else ""


def _headline(a: PlanAction, symbol: bool = True, landing: Landing | None = None) -> str:
    view = a.after or a.before or {}
    gpu = view.get("gpu")
    name = a.pod + (f" (moved from {a.moved_from})" if a.moved_from else "")
    parts = [f"{SYMBOLS[a.action]} {name}" if symbol else name, a.action + _effect(a)]
    if gpu:
        parts.append(f"{gpu} x{view.get('gpu_count', 1)}")
    if a.action in ("create", "replace", "update", "adopt", "start") and a.after:
        # As the pod will be after apply: one stopped once ready costs nothing.
        hourly = hourly_after(a) if a.action != "create" or a.stop_after else \
            a.after.get("cost_per_hour")
        # None: the GPU is not in the catalog (a guardrail violation says so), not free.
        parts.append(("price unknown" if hourly is None else money(hourly))
                     + (" (stopped after)" if a.stop_after else ""))
    if a.before and a.before.get("id"):
        parts.append(f"(pod {a.before['id']})")
    if landing is not None:
        parts.append(f"[{landing.describe()}]")
    return "  ".join(parts)


def _landings(plan: Plan) -> dict[str, Landing]:
    return {landing.pod: landing for landing in plan.landings}


def rollout_lines(plan: Plan) -> list[str]:
    """One line per entry whose replicas change in more than one batch."""
    lines = []
    # State-only changes restart nothing: they are no batch of a rollout.
    touching = [a for a in plan.actions if not a.state_only]
    for entry, batches in sorted(plan_batches(touching).items()):
        if len(batches) > 1:
            steps = ", then ".join(" + ".join(b.pods) for b in batches)
            lines.append(f"Rollout of {entry}: {len(batches)} batches: {steps}")
    return lines


def render_text(plan: Plan, color: bool = False, sandbox: bool = False) -> str:
    def paint(code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    lines = [f"Stack {plan.stack}" + ("  [sandbox: simulated RunPod]" if sandbox else "")]
    landings = _landings(plan)
    lines.extend(volumes.text_lines(plan))  # before the pods, as apply does them
    for a in plan.actions:
        lines.append("  " + paint(COLORS[a.action], _headline(a, landing=landings.get(a.pod))))
        for reason in a.reasons:
            lines.append(f"      {reason}")
        for lost in a.destroys:
            lines.append("      " + paint("31", lost.describe()))
    if plan.stack_changes:
        lines.append("  " + paint(COLORS["update"], f"~ stack {plan.stack}  update (state only)"))
        lines.extend(f"      {c.describe()}" for c in plan.stack_changes)
    for name in plan.unchanged:
        lines.append(f"    {name}  unchanged")
    lines.extend(endpoints.text_lines(plan))  # serverless endpoints (CONTRACT §14)
    lines.extend(rollout_lines(plan))
    lines.append(summary_line(plan))
    lines.append(f"Cost: {money(plan.cost_before)} -> {money(plan.cost_after)} "
                 f"({signed_money(plan.cost_delta)})")
    lines.extend(monthly_lines(plan))
    for note in plan.notes:
        lines.append(f"Note: {note}")
    for warning in plan.warnings:
        lines.append(paint("33", f"Warning: {warning}"))
    if plan.violations:
        lines.append(paint("31", "Guardrail violations (this plan will not be applied):"))
        lines.extend(paint("31", f"  x {v}") for v in plan.violations)
    return "\n".join(lines) + "\n"


# Which GPU the monthly figures price: max_monthly_cost is checked against the dearest
# candidate instead (its violation says "worst case over fallback GPUs").
MONTHLY_BASIS = "each pod at its current GPU, or its first choice"


def month(value: float) -> str:
    return f"${value:,.2f}/month"


def schedule_saving(plan: Plan) -> str | None:
    """'with schedule: $X/month (saves $Y)' when running windows make the month cheaper."""
    saved = plan.monthly_without_schedule - plan.monthly_after
    if saved < 0.005:
        return None
    return f"with schedule: {month(plan.monthly_after)} (saves ${saved:,.2f})"


def endpoint_bounds(plan: Plan) -> str | None:
    """Serverless endpoints bill per worker-second, so they are not in the $/h and monthly
    figures of the pods; their bounds say what they can cost (CONTRACT §14)."""
    costs = plan.endpoint_costs
    if not costs:
        return None
    low = [c.min_workers for c in costs]
    high = [c.max_workers for c in costs]
    if any(v is None for v in low + high):
        return ("Serverless endpoints are not in the figures above; some have no price in "
                "the catalog (see each endpoint's cost)")
    floor, ceiling = sum(v or 0.0 for v in low), sum(v or 0.0 for v in high)
    return (f"Serverless endpoints, not in the figures above: ${floor:,.2f}/h at min workers "
            f"({month(floor * 720)} always on), up to ${ceiling:,.2f}/h at max workers")


def monthly_lines(plan: Plan) -> list[str]:
    lines = [f"Monthly (30 days, GPU + storage, {MONTHLY_BASIS}): "
             f"{month(plan.monthly_before)} -> {month(plan.monthly_after)}"]
    saving = schedule_saving(plan)
    if saving:
        lines.append(saving[0].upper() + saving[1:])
    bounds = endpoint_bounds(plan)
    if bounds:
        lines.append(bounds)
    return lines


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _destroys_block(plan: Plan) -> list[str]:
    """Data loss stays visible outside the collapsed details (CONTRACT §4)."""
    if not plan.destroys:
        return []
    lines = ["> [!CAUTION]", "> **This plan destroys data:**"]
    lines += [f"> - `{pod}`: {_md_escape(d.describe().removeprefix('destroys: '))}"
              for pod, d in plan.destroys]
    return [*lines, ""]


def render_markdown(plan: Plan, sandbox: bool = False) -> str:
    deletes = plan.count("delete")
    delete_cell = f"**{deletes}**" if deletes else "0"
    replaces = plan.count("replace")
    replace_cell = f"**{replaces}**" if replaces else "0"
    out = [f"### Stack `{plan.stack}`" + (" (sandbox)" if sandbox else ""), ""]
    out.append("| create | update | replace | delete | adopt | unchanged | $/h before | "
               "$/h after | $/h change |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    out.append(f"| {plan.count('create')} | {pod_updates(plan)} | {replace_cell} | "
               f"{delete_cell} | {plan.count('adopt')} | {len(plan.unchanged)} | "
               f"{plan.cost_before:,.2f} | {plan.cost_after:,.2f} | "
               f"{signed_money(plan.cost_delta)} |")
    out.append("")
    out.append(f"Monthly (30 days, GPU + storage, {MONTHLY_BASIS}): "
               f"{month(plan.monthly_before)} → "
               f"**{month(plan.monthly_after)}**"
               + (f"; {schedule_saving(plan)}" if schedule_saving(plan) else ""))
    if endpoint_bounds(plan):
        out.append("")
        out.append(str(endpoint_bounds(plan)))
    out.append("")
    if plan.violations:
        out.append("> [!CAUTION]")
        out.append("> **Guardrail violations** — this plan will not be applied:")
        out.extend(f"> - {_md_escape(v)}" for v in plan.violations)
        out.append("")
    for warning in plan.warnings:
        out.append(f"> [!WARNING]\n> {_md_escape(warning)}\n")
    out.extend(_destroys_block(plan))
    out.extend(endpoints.markdown_lines(plan))  # serverless endpoints (CONTRACT §14)
    if not plan.actions and not plan.stack_changes and not plan.volume_actions:
        out.append(summary_line(plan))
        return "\n".join(out) + "\n"
    out.append(f"<details><summary>{summary_line(plan)}</summary>")
    out.append("")
    out.append("```diff")
    landings = _landings(plan)
    out.extend(volumes.markdown_lines(plan))
    for a in plan.actions:
        symbol = {"create": "+", "delete": "-", "replace": "!", "update": "!",
                  "adopt": "#", "start": "+", "stop": "-"}[a.action]
        headline = _headline(a, symbol=False, landing=landings.get(a.pod))
        out.append(f"{symbol} {headline.replace('```', '')}")
        out.extend(f"#     {r.replace('```', '')}" for r in a.reasons)
        out.extend(f"#     {d.describe().replace('```', '')}" for d in a.destroys)
    if plan.stack_changes:
        out.append(f"! stack {plan.stack}  update (state only)")
        out.extend(f"#     {c.describe().replace('```', '')}" for c in plan.stack_changes)
    out.append("```")
    out.extend(f"\n{line}" for line in rollout_lines(plan))
    out.append("")
    out.append("</details>")
    for note in plan.notes:
        out.append(f"\n_Note: {_md_escape(note)}_")
    return "\n".join(out) + "\n"


def render_plans(plans: Sequence[Plan], fmt: str, color: bool = False,
                 sandbox: bool = False) -> str:
    if fmt == "json":
        return render_plan_file(list(plans))
    if fmt == "markdown":
        return "\n".join(render_markdown(p, sandbox) for p in plans)
    return "\n".join(render_text(p, color, sandbox) for p in plans)
