"""Endpoints in plan reports (CONTRACT §14): each action says what it does to the
workers, and every endpoint shows its cost at min and at max workers."""

from __future__ import annotations

from gitops_runner.plan.endpoint_diff import EndpointAction, EndpointCost
from gitops_runner.plan.model import Plan

SYMBOLS = {"create": "+", "update": "~", "delete": "-"}
EFFECTS = {"release": " (release: workers restart)", "rescale": " (rescale: nothing restarts)",
           "template": " (template only: nothing restarts)",
           "wait": " (waits for the last release again)"}


def bounds(cost: EndpointCost | None) -> str:
    if cost is None or cost.max_workers is None:
        return "cost unknown"
    low = cost.min_workers or 0.0
    return f"${low:,.2f}/h at min, ${cost.max_workers:,.2f}/h at max workers"


def _cost(plan: Plan, name: str) -> EndpointCost | None:
    return next((c for c in plan.endpoint_costs if c.endpoint == name), None)


def headline(plan: Plan, a: EndpointAction, symbol: bool = True) -> str:
    view = a.after or a.before or {}
    workers = view.get("workers") or {}
    parts = [f"{SYMBOLS[a.action]} endpoint {a.endpoint}" if symbol else f"endpoint {a.endpoint}",
             a.action + EFFECTS.get(a.change, "")]
    if workers:
        parts.append(f"workers {workers.get('min', 0)}-{workers.get('max', '?')}")
    if a.action != "delete":
        parts.append(bounds(_cost(plan, a.endpoint)))
    if a.before and a.before.get("id"):
        parts.append(f"(endpoint {a.before['id']})")
    return "  ".join(parts)


def text_lines(plan: Plan) -> list[str]:
    lines = []
    for a in plan.endpoint_actions:
        lines.append("  " + headline(plan, a))
        lines.extend(f"      {r}" for r in a.reasons)
    for name in plan.endpoints_unchanged:
        lines.append(f"    endpoint {name}  unchanged  {bounds(_cost(plan, name))}")
    return lines


def summary(plan: Plan) -> str:
    if not plan.endpoint_actions and not plan.endpoints_unchanged:
        return ""
    count = {k: sum(1 for a in plan.endpoint_actions if a.action == k)
             for k in ("create", "update", "delete")}
    releases = sum(1 for a in plan.endpoint_actions if a.change == "release")
    return (f" Endpoints: {count['create']} to create, {count['update']} to update "
            f"({releases} release(s)), {count['delete']} to delete, "
            f"{len(plan.endpoints_unchanged)} unchanged.")


def markdown_lines(plan: Plan) -> list[str]:
    if not plan.endpoint_actions and not plan.endpoints_unchanged:
        return []
    out = ["", "| endpoint | change | workers restart | $/h at min workers | "
               "$/h at max workers |", "|---|---|---|---:|---:|"]
    acted = {a.endpoint: a for a in plan.endpoint_actions}
    names = [*acted, *plan.endpoints_unchanged]
    for name in names:
        a = acted.get(name)
        cost = _cost(plan, name)
        change = (a.action + (f" ({a.change})" if a.change else "")) if a else "unchanged"
        restart = "**yes**" if a is not None and (a.restarts_workers or a.action == "create") \
            else "no"
        low = f"{cost.min_workers or 0.0:,.2f}" if cost and cost.max_workers is not None else "?"
        high = f"{cost.max_workers:,.2f}" if cost and cost.max_workers is not None else "?"
        out.append(f"| `{name}` | {change} | {restart} | {low} | {high} |")
    if plan.endpoint_actions:
        out += ["", "```diff"]
        for a in plan.endpoint_actions:
            symbol = {"create": "+", "delete": "-", "update": "!"}[a.action]
            out.append(f"{symbol} {headline(plan, a, symbol=False).replace('```', '')}")
            out.extend(f"#     {r.replace('```', '')}" for r in a.reasons)
        out.append("```")
    return out
