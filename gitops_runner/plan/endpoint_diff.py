"""Endpoints: desired vs state vs observed -> actions, as data. Pure.

An update says what it does to the workers (CONTRACT §14): a `release` (the template's
image, args, env, disk or registry, or the placement: gpu, data centers, volumes,
flashboot) rolls every worker; a `rescale` (workers, scaling, timeout) restarts
nothing; `template` repairs the template alone (an endpoint is a snapshot of it, so
nothing restarts); `wait` waits again for a release that did not roll out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops_runner.plan.compare import SENSITIVE
from gitops_runner.plan.endpoint_state import source_changes
from gitops_runner.plan.endpoints import (
    PLACEMENT_FIELDS,
    RESCALE_FIELDS,
    DesiredEndpoint,
    Observed,
    Owned,
)
from gitops_runner.plan.identity import MARKER_PREFIX, is_platform_env, sha256_of
from gitops_runner.plan.serverless_cost import ServerlessPrices
from gitops_runner.plan.statefile import StateDoc

CHANGES = ("release", "rescale", "template", "wait", "")


@dataclass(frozen=True)
class EndpointAction:
    endpoint: str
    action: str  # create | update | delete
    change: str  # one of CHANGES; "" for create and delete
    reasons: tuple[str, ...]
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    # Shown, not fingerprinted: prices move with time (CONTRACT §4).
    cost_min: float | None = field(default=None, compare=False)
    cost_max: float | None = field(default=None, compare=False)
    # How to carry it out; not part of the plan file.
    endpoint_id: str | None = field(default=None, compare=False)
    template_id: str | None = field(default=None, compare=False)
    desired: DesiredEndpoint | None = field(default=None, compare=False, repr=False)
    template_patch: bool = field(default=False, compare=False)
    endpoint_patch: tuple[str, ...] = field(default=(), compare=False)

    @property
    def restarts_workers(self) -> bool:
        return self.change == "release"

    def stable_json(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "action": self.action, "change": self.change,
                "reasons": list(self.reasons),
                "before": dict(self.before) if self.before is not None else None,
                "after": dict(self.after) if self.after is not None else None}

    def to_json(self) -> dict[str, Any]:
        return {**self.stable_json(), "restarts_workers": self.restarts_workers,
                "cost": {"min_workers": self.cost_min, "max_workers": self.cost_max}}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> EndpointAction:
        cost = raw.get("cost") or {}
        return cls(str(raw["endpoint"]), str(raw["action"]), str(raw.get("change", "")),
                   tuple(raw["reasons"]), raw.get("before"), raw.get("after"),
                   cost.get("min_workers"), cost.get("max_workers"))


def endpoints_fingerprint(actions: tuple[EndpointAction, ...]) -> str:
    # Of what RunPod shows (`before`), only which endpoint: the reasons carry each change,
    # and a field RunPod leaves out must not make a reviewed plan unappliable (§4).
    return sha256_of([{**a.stable_json(), "before": None if a.before is None else
                       {"id": a.before.get("id")}} for a in actions])


@dataclass(frozen=True)
class EndpointCost:
    endpoint: str
    min_workers: float | None
    max_workers: float | None


@dataclass
class EndpointDiff:
    actions: list[EndpointAction] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    costs: list[EndpointCost] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _env_changes(want: Mapping[str, Any], have: Mapping[str, str] | None,
                 secrets: Mapping[str, str], plain: set[str]) -> list[str]:
    if have is None:
        return []  # RunPod left it out: unknown, never a difference
    out = []
    for key, value in sorted(want.items()):
        if key.startswith(MARKER_PREFIX):
            continue
        if isinstance(value, dict):
            secret = secrets.get(value["secret"])
            if key not in have:
                out.append(f"env.{key}: added (secret {value['secret']})")
            elif secret is not None and have[key] != secret:
                out.append(f"env.{key}: (sensitive value changed)")
        elif have.get(key) != value:
            shown = have[key] if key in plain else SENSITIVE
            out.append(f"env.{key}: {shown if key in have else '(none)'} -> {value}")
    for key in sorted(set(have) - set(want)):
        if not key.startswith(MARKER_PREFIX) and not is_platform_env(key):
            out.append(f"env.{key}: removed")
    return out


def container_changes(want: DesiredEndpoint, have: Observed, secrets: Mapping[str, str],
                      plain: set[str]) -> list[str]:
    body, out = want.template_body, []
    for key in ("image", "args", "disk"):
        if have.body.get(key) is not None and have.body.get(key) != body[key]:
            out.append(f"{key}: {have.body.get(key)} -> {body[key]}")
    if have.body.get("registry") != body.get("registry") and "registry" in have.body:
        out.append(f"registry: {have.body.get('registry')} -> {body.get('registry')}")
    env = have.body.get("env") if isinstance(have.body.get("env"), dict) else None
    return out + _env_changes(body["env"], env, secrets, plain)


def _norm(key: str, value: Any) -> Any:
    if key == "gpu" and isinstance(value, dict):
        return {"pools": sorted(value.get("pools") or []),
                "excludedTypes": sorted(t.strip() for t in value.get("excludedTypes") or []),
                "count": value.get("count", 1), "minCudaVersion": value.get("minCudaVersion")
                or None}
    if key in ("dataCenterIds", "networkVolumes") and isinstance(value, list):
        return sorted(value)
    return value


def endpoint_changes(want: DesiredEndpoint, have: Observed
                     ) -> tuple[list[str], list[str], tuple[str, ...]]:
    """(placement reasons, rescale reasons, the body fields to PATCH): the fields RunPod
    answered that differ."""
    placement: list[str] = []
    rescale: list[str] = []
    fields: list[str] = []
    for key in (*PLACEMENT_FIELDS, *RESCALE_FIELDS):
        mine, theirs = want.endpoint_body[key], have.body.get(key)
        if theirs is None:
            continue
        if key == "workers" and isinstance(theirs, dict):
            theirs = {k: theirs.get(k) for k in mine}  # idleTimeout unset: RunPod's own
        if _norm(key, mine) != _norm(key, theirs):
            fields.append(key)
            (rescale if key in RESCALE_FIELDS else placement).extend(
                _reasons(key, _norm(key, theirs), _norm(key, mine)))
    return placement, rescale, tuple(fields)


# RunPod's endpoint fields in the deploy file's words (CONTRACT §14), so a reason names
# what to edit: `gpu.min_cuda_version: (none) -> 12.8`, not the API's nested body.
FILE_WORDS = {"gpu.excludedTypes": "gpu.exclude", "gpu.minCudaVersion": "gpu.min_cuda_version",
              "workers.idleTimeout": "workers.idle_timeout_seconds",
              "dataCenterIds": "data_centers", "networkVolumes": "network_volume"}


def _scaling(value: Any) -> str:
    if not isinstance(value, dict):
        return _shown(value)
    amount = value.get("queueDelay", value.get("requestCount"))
    return f"{value.get('type')} {amount}"


def _reasons(key: str, before: Any, after: Any) -> list[str]:
    """One `field: before -> after` per field that differs."""
    if key == "scaling":  # type and value read together: QUEUE_DELAY 4 -> REQUEST_COUNT 4
        return [f"scaling: {_scaling(before)} -> {_scaling(after)}"]
    if key == "timeout" and isinstance(before, int | float) and isinstance(after, int | float):
        return [f"timeout: {before / 1000:g} -> {after / 1000:g} s"]  # RunPod counts ms
    if isinstance(before, dict) and isinstance(after, dict):
        return [f"{FILE_WORDS.get(f'{key}.{k}', f'{key}.{k}')}: {_shown(before.get(k))} -> "
                f"{_shown(after.get(k))}"
                for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    return [f"{FILE_WORDS.get(key, key)}: {_shown(before)} -> {_shown(after)}"]


def _shown(value: Any) -> str:
    return "(none)" if value is None else _short(value)


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return str(value)


def view_of(want: DesiredEndpoint) -> dict[str, Any]:
    """The after view: public fields, a secret by its name, no markers."""
    env = {k: (f"(secret {v['secret']})" if isinstance(v, dict) else v)
           for k, v in sorted(want.template_body["env"].items())
           if not k.startswith(MARKER_PREFIX)}
    tpl = want.template_body
    return {"name": want.runpod_name, "image": tpl["image"], "args": tpl["args"],
            "disk": tpl["disk"], "registry": tpl.get("registry"), "env": env,
            **{k: v for k, v in want.endpoint_body.items() if k != "name"}}


def observed_view(have: Observed, plain: set[str]) -> dict[str, Any]:
    env = {k: (v if k in plain else SENSITIVE) for k, v in sorted(have.env.items())
           if not k.startswith(MARKER_PREFIX) and not is_platform_env(k)}
    keep = ("type", "image", "args", "disk", "registry", *PLACEMENT_FIELDS, *RESCALE_FIELDS)
    return {"id": have.id, "name": have.name, "env": env,
            **{k: have.body.get(k) for k in keep if k in have.body}}


def plain_keys(state: StateDoc, name: str) -> set[str]:
    record = state.endpoints.get(name)
    env = (record.spec.get("template") or {}).get("env", {}) if record else {}
    return {k for k, v in env.items() if not isinstance(v, dict)}


def diff_endpoints(desired: list[DesiredEndpoint], state: StateDoc, ours: Owned,
                   secrets: Mapping[str, str], prices: ServerlessPrices) -> EndpointDiff:
    out = EndpointDiff()
    for want in desired:
        low, high = prices.bounds(want.spec)
        out.costs.append(EndpointCost(want.name, low, high))
        if high is None and prices.gpus:
            out.warnings.append(f"endpoint {want.name}: RunPod's catalog gives no serverless "
                                "price for its pools, so its cost (and max_hourly_cost) "
                                "cannot count it")
        action = _one(want, state, ours, secrets, low, high)
        if action is None:
            out.unchanged.append(want.name)
        else:
            out.actions.append(action)
    names = {d.name for d in desired}
    for name in sorted((set(state.endpoints) | set(ours.endpoints) | set(ours.templates))
                       - names):
        record = state.endpoints.get(name)
        ep, tpl = ours.endpoints.get(name), ours.templates.get(name)
        if ep is None and tpl is None:
            # Gone on RunPod already: only state is left to clean.
            out.actions.append(EndpointAction(name, "delete", "", (
                "removed from the deploy file (already gone on RunPod)",)))
            continue
        before = observed_view(ep, plain_keys(state, name)) if ep else None
        out.actions.append(EndpointAction(
            name, "delete", "", ("removed from the deploy file",), before, None,
            endpoint_id=ep.id if ep else None,
            template_id=tpl.id if tpl else ((record.template_id or None) if record else None)))
    for item in ours.foreign:
        out.warnings.append(f"{item.name} ({item.id}) carries this stack's markers but another "
                            "state's lineage: it is not ours and is left alone")
    for item in ours.unmarked:
        out.warnings.append(f"{item.name} ({item.id}) is named like an endpoint of this stack "
                            "but has no gitops-runner markers; it is left alone")
    return out


def _one(want: DesiredEndpoint, state: StateDoc, ours: Owned, secrets: Mapping[str, str],
         low: float | None, high: float | None) -> EndpointAction | None:
    record = state.endpoints.get(want.name)
    ep, tpl = ours.endpoints.get(want.name), ours.templates.get(want.name)
    plain = plain_keys(state, want.name)
    after = view_of(want)
    common: dict[str, Any] = {"cost_min": low, "cost_max": high, "desired": want,
                              "template_id": tpl.id if tpl else None}
    if ep is None:
        reasons = ["new endpoint"] if record is None or record.id is None else [
            "missing on RunPod (deleted outside gitops-runner?)"]
        if tpl is not None:
            reasons.append(f"adopts template {tpl.id} left by an interrupted apply"
                           if record is None or record.id is None else
                           f"reuses template {tpl.id}")
        return EndpointAction(want.name, "create", "", tuple(reasons), None, after, **common)
    template = ([f"template {r}" for r in container_changes(want, tpl, secrets, plain)]
                if tpl else ["template: missing on RunPod, made again"])
    template += [f"template {r}" for r in source_changes(want, record)
                 if f"template {r}" not in template]
    container = container_changes(want, ep, secrets, plain)
    placement, rescale, patch = endpoint_changes(want, ep)
    before = observed_view(ep, plain)
    if container or placement:
        change, reasons = "release", [*container, *placement, *rescale]
    elif rescale:
        change, reasons = "rescale", rescale
    elif template:
        change, reasons = "template", template
    elif record is not None and not record.healthy:
        change, reasons = "wait", ["the last release did not roll out; waiting for it again"]
    else:
        return None
    return EndpointAction(want.name, "update", change, tuple(reasons), before, after,
                          endpoint_id=ep.id, template_patch=bool(template or container),
                          endpoint_patch=patch, **common)
