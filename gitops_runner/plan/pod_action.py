"""One declared pod's action: create, replace, update (in place or state only), start,
stop, adopt, or nothing. Pure; the clock is an argument."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gitops_runner.plan import power
from gitops_runner.plan.changes import ActionKind, FieldChange
from gitops_runner.plan.compare import compare
from gitops_runner.plan.cost import PriceBook
from gitops_runner.plan.desired import DesiredPod
from gitops_runner.plan.model import PlanAction
from gitops_runner.plan.observed import ObservedPod
from gitops_runner.plan.records import declared_changes, explain_args, recorded_changes
from gitops_runner.plan.statefile import PodRecord
from gitops_runner.plan.views import after_view, before_view
from gitops_runner.plan.volumes import destroyed_volumes


@dataclass(frozen=True)
class Decided:
    action: PlanAction | None = None
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    """One pod's facts, shared by the builders below."""

    want: DesiredPod
    record: PodRecord | None
    obs: ObservedPod
    prices: PriceBook
    now: datetime
    moved_from: str | None

    @property
    def adopting(self) -> bool:
        return self.record is None or self.record.id != self.obs.id

    @property
    def kept_price(self) -> float:
        obs = self.obs
        return obs.cost if obs.cost else (
            self.prices.pod_price(obs.gpu_id or "", obs.gpu_count, obs.cloud) or 0.0)

    def action(self, kind: ActionKind, changes: list[FieldChange], notes: list[str],
               **extra: Any) -> PlanAction:
        """An action on the existing pod (anything but create and replace)."""
        want, obs = self.want, self.obs
        extra.setdefault("cost_after", self.kept_price)
        return PlanAction(want.logical, kind, changes=tuple(changes), notes=tuple(notes),
                          before=before_view(obs, want, self.record),
                          after=after_view(want, obs.gpu_id or want.candidates[0],
                                           self.kept_price),
                          pod_id=obs.id, desired=want, cost_before=obs.cost,
                          moved_from=self.moved_from, **extra)


def _first_price(want: DesiredPod, prices: PriceBook) -> float | None:
    return prices.pod_price(want.candidates[0], want.public_body["gpu"]["count"],
                            want.public_body["cloud"])


def _plain_keys(record: PodRecord | None) -> set[str]:
    """Env keys state says were applied as plain values: only these may be shown."""
    if record is None:
        return set()
    return {k for k, v in record.spec.get("env", {}).items() if not isinstance(v, dict)}


def pod_action(want: DesiredPod, record: PodRecord | None, obs: ObservedPod | None,
               secrets: Mapping[str, str], prices: PriceBook, now: datetime,
               ttl_hours: float, moved_from: str | None = None) -> Decided:
    if obs is None:
        return Decided(_create(want, record, prices, now, moved_from))
    # A pod adopted by its markers (a lost create) was made from a body like the desired
    # one: its mounts are judged against that (found by bench/chaos.py, issue 22).
    mine = record is not None and record.id == obs.id
    d = compare(obs, want, secrets, _plain_keys(record),
                set(record.spec.get("env", {})) if record is not None else None,
                record.spec.get("mounts") if mine and record is not None
                else want.public_body.get("mounts"))
    d.update = explain_args(d.update, record if mine else None, want)
    ctx = Context(want, record, obs, prices, now, moved_from)
    prefix = [f"adopting pod {obs.id} found by its markers (not in state)"] \
        if ctx.adopting else []
    why = ["status: ERROR (the pod failed on RunPod)"] if obs.status == "ERROR" else []
    age = (now - obs.created_at).total_seconds() / 3600 if obs.created_at else None
    if ttl_hours and age is not None and age > ttl_hours:
        # The age moves with time: a note, never part of the fingerprint (CONTRACT §4).
        why.append(f"expired: {age:.1f}h old, over ttl_hours {ttl_hours:g}")
    declared = declared_changes(record, want) if record is not None else []
    if d.replace or why:
        return Decided(_replace(ctx, [*d.replace, *d.update, *declared], [*prefix, *why]),
                       d.errors)
    if d.errors:
        return Decided(None, d.errors)
    return Decided(_existing(ctx, d.update, d.patch, declared, prefix))


def _create(want: DesiredPod, record: PodRecord | None, prices: PriceBook, now: datetime,
            moved_from: str | None) -> PlanAction:
    price = _first_price(want, prices)
    note = (f"pod {record.id} recorded in state is gone from RunPod"
            if record is not None else "new pod")
    cost = 0.0 if power.intent(want.spec) == power.STOP else price or 0.0
    return PlanAction(want.logical, ActionKind.CREATE, notes=(note, *power.create_reasons(want.spec)),
                      after=after_view(want, want.candidates[0], price), desired=want,
                      cost_after=cost, stop_after=power.stop_after_create(want.spec, now),
                      moved_from=moved_from)


def _replace(ctx: Context, changes: list[FieldChange], notes: list[str]) -> PlanAction:
    want, obs = ctx.want, ctx.obs
    price = _first_price(want, ctx.prices)
    cost = 0.0 if power.intent(want.spec) == power.STOP else price or 0.0
    return PlanAction(want.logical, ActionKind.REPLACE, changes=tuple(changes), notes=tuple(notes),
                      before=before_view(obs, want, ctx.record),
                      after=after_view(want, want.candidates[0], price), pod_id=obs.id,
                      desired=want, cost_before=obs.cost, cost_after=cost,
                      stop_after=power.stop_after_create(want.spec, ctx.now),
                      destroys=destroyed_volumes(obs, ctx.record), moved_from=ctx.moved_from)


def _existing(ctx: Context, update: list[FieldChange], patch: list[str],
              declared: list[FieldChange], prefix: list[str]) -> PlanAction | None:
    want, record, obs = ctx.want, ctx.record, ctx.obs
    settled = not update and not ctx.adopting and record is not None
    if settled and record is not None and obs.spec_marker == want.spec_hash != record.spec_hash:
        # A crash between a PATCH and its journal entry: RunPod runs the desired spec,
        # state does not say so. Record it and check its readiness again.
        return ctx.action(ActionKind.ADOPT, declared, [
            f"re-journal: pod {obs.id} already runs the desired spec, which state does not "
            "record (an earlier run stopped before recording its change); recording it and "
            "checking its readiness again"])
    refresh = _state_only(ctx, update)
    if refresh is not None:
        return _state_only_action(ctx, [*refresh, *declared], SATISFIED)
    why = []
    if settled and record is not None and not record.healthy:
        why.append("health check did not pass at the last apply; waiting for it again")
    pc = _power(ctx, bool(update or why))
    if settled and declared and not why and not pc.reason:
        return _state_only_action(ctx, declared, NOT_SENT)
    after_cost = 0.0 if (pc.stop and not pc.start) or power.intent(want.spec) == power.STOP \
        else ctx.kept_price
    if update or why:
        return ctx.action(ActionKind.UPDATE, [*update, *declared],
                          [*prefix, *([pc.reason] if pc.reason else []), *why],
                          patch_fields=tuple(dict.fromkeys(patch)), start=pc.start,
                          stop_after=pc.stop, cost_after=after_cost)
    if pc.reason:
        kind = ActionKind.START if pc.start else ActionKind.STOP
        return ctx.action(kind, declared, [*prefix, pc.reason], start=pc.start,
                          cost_after=after_cost)
    if ctx.adopting or ctx.moved_from:
        return ctx.action(ActionKind.ADOPT, declared, prefix)
    return None


SATISFIED = ("state only, no RunPod request: the pod already satisfies it (a PATCH would "
             "restart it)")
NOT_SENT = "state only, no RunPod request: these fields are not sent to RunPod"


def _power(ctx: Context, updating: bool) -> power.PowerChange:
    return power.existing(ctx.want.spec, ctx.record, ctx.obs, updating=updating)


def _state_only(ctx: Context, update: list[FieldChange]) -> list[FieldChange] | None:
    """A change the pod already satisfies (a fallback GPU, a data center, a CUDA floor):
    recorded in state only, since any PATCH would restart the container (CONTRACT §5)."""
    want, record, obs = ctx.want, ctx.record, ctx.obs
    if (update or ctx.adopting or record is None or not record.healthy
            or obs.spec_marker == want.spec_hash or record.spec_hash == want.spec_hash
            or _power(ctx, False).reason):
        return None
    return recorded_changes(record, want)


def _state_only_action(ctx: Context, changes: list[FieldChange], note: str) -> PlanAction:
    return ctx.action(ActionKind.UPDATE, changes, [note], state_only=True)
