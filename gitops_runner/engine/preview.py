"""Preview stacks (CONTRACT §12): apply one, destroy one (pods and state), find the live
ones by their markers, and sweep those whose pull request closed or whose TTL passed.

A preview is an ordinary stack with its own name (config/preview.py), so apply and
destroy are the usual flows under its own lock; identity by markers keeps one pull
request's preview from ever touching another's pods or the main stack's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from gitops_runner.config.model import Stack
from gitops_runner.config.preview import preview_stack
from gitops_runner.engine.apply import ApplyOptions, ApplyResult, apply_stack
from gitops_runner.engine.destroy import destroy_stack
from gitops_runner.engine.fence import Fence
from gitops_runner.engine.locked import locked
from gitops_runner.engine.observe import read_state
from gitops_runner.engine.session import RunPodAccess, Session
from gitops_runner.engine.status import status_rows
from gitops_runner.engine.writer import Writer
from gitops_runner.errors import GitopsError
from gitops_runner.plan.observed import parse_pod
from gitops_runner.plan.preview_policy import policy_violations
from gitops_runner.plan.previews import LivePreview, live_previews, orphans_of
from gitops_runner.plan.schedule import stamp
from gitops_runner.runpod.errors import RunPodError


@dataclass
class PreviewApplied:
    stack: Stack  # the preview stack
    result: ApplyResult
    rows: list[dict[str, Any]] = field(default_factory=list)  # status rows: endpoints, health


def apply_preview(session: Session, base: Stack, number: int, access: RunPodAccess,
                  secrets: Mapping[str, str]) -> PreviewApplied:
    """Plan and apply the preview (waiting for readiness), then read its endpoints and
    health. `base.preview` is the policy: a preview outside its allow-lists, or over its
    max_hourly_cost, is refused before any change."""
    refused = tuple(policy_violations(base.preview)) if base.preview else ()
    if refused:
        name = preview_stack(base, number).name
        return PreviewApplied(preview_stack(base, number),
                              ApplyResult(name, False, violations=refused, refused=True))
    live = [p for p in find_previews(session, [base], access) if p.base is not None and
            p.number == number]
    expires = live[0].expires_at if live else None
    if expires is None:  # stamped at create; kept as it is on every later apply
        assert base.preview is not None
        expires = session.now() + timedelta(hours=base.preview.ttl_hours)
    preview = preview_stack(base, number, stamp(expires), session.repository)
    result = apply_stack(session, preview, access, secrets, ApplyOptions(operation="preview"))
    state = read_state(session, preview)[0]
    rows = status_rows(preview, state, access.client.list_pods(), access.proxy_url)
    return PreviewApplied(preview, result, rows)


def destroy_preview(session: Session, base: Stack, number: int,
                    access: RunPodAccess) -> tuple[int, list[str]]:
    """Terminate the preview's pods (by state and by markers) and remove its state.
    Returns (pods terminated, failures); state stays while any pod failed to go."""
    preview = preview_stack(base, number)
    count, failures = destroy_stack(session, preview, access)
    if not failures:
        remove_state(session, preview)
    return count, failures


def remove_state(session: Session, stack: Stack) -> bool:
    """Delete the stack's state document when it holds no pod (and no network volume,
    whose record is its only handle). True if one was removed."""
    with locked(session, stack, "destroy") as flow:
        snapshot = flow.store.read()
        if (snapshot.doc is None or snapshot.token is None or snapshot.doc.pods
                or snapshot.doc.volumes or snapshot.doc.volume_intents):
            return False
        flow.fence.check_lease()
        flow.store.delete(snapshot.token)
        session.log(f"{stack.name}: state removed ({flow.store.describe()})")
        return True


def find_previews(session: Session, stacks: Sequence[Stack],
                  access: RunPodAccess) -> list[LivePreview]:
    return live_previews(stacks, (parse_pod(p) for p in access.client.list_pods()),
                         session.repository)


def orphaned_previews(session: Session, stacks: Sequence[Stack],
                      access: RunPodAccess) -> list[LivePreview]:
    """Previews on RunPod that none of `stacks` produces (drift and preview list say so)."""
    return [p for p in find_previews(session, stacks, access) if p.orphan]


@dataclass(frozen=True)
class Swept:
    preview: LivePreview
    reason: str  # why it was destroyed; "" = kept
    terminated: int = 0
    failures: tuple[str, ...] = ()


def sweep(session: Session, stacks: Sequence[Stack], access: RunPodAccess,
          pull_open: Callable[[int], bool | None]) -> list[Swept]:
    """Destroy every preview on RunPod (found by its PR marker, whatever the files say)
    whose expiry passed or whose pull request is closed. `pull_open(number)`: True open,
    False closed, None unknown (kept unless expired)."""
    now = session.now()
    out: list[Swept] = []
    for live in find_previews(session, stacks, access):
        reason = ""
        if live.expired(now):
            reason = "its expiry passed" + (f" (ttl_hours {live.ttl_hours:g} h)"
                                            if live.ttl_hours else "")
        elif pull_open(live.number) is False:
            reason = f"pull request #{live.number} is closed"
        out.append(destroy_live(session, live, access, reason) if reason else Swept(live, ""))
    return out


def destroy_orphans(session: Session, stacks: Sequence[Stack], number: int,
                    access: RunPodAccess, produced: Sequence[str]) -> list[Swept]:
    """On any event of pull request `number`: destroy its previews that none of the
    current files produces (`produced`: their preview stack names)."""
    return [destroy_live(session, live, access, "no deploy file produces it any more")
            for live in orphans_of(find_previews(session, stacks, access), number, produced)]


def destroy_live(session: Session, live: LivePreview, access: RunPodAccess,
                 reason: str) -> Swept:
    """A preview a file still produces goes with its state, under its lock; an orphan's
    pods are terminated by id (its state's home is no longer known)."""
    session.log(f"{live.name}: destroying the preview: {reason}")
    try:
        if live.base is not None:
            count, failures = destroy_preview(session, live.base, live.number, access)
        else:
            count, failures = terminate_pods(session, access, [p.id for p in live.pods])
    except GitopsError as exc:
        count, failures = 0, [str(exc)]
    return Swept(live, reason, count, tuple(failures))


def terminate_pods(session: Session, access: RunPodAccess,
                   pod_ids: Sequence[str]) -> tuple[int, list[str]]:
    """Orphaned preview pods no state records: no stack lock to hold, so the writer's
    fence is one that never expires (session.cancel still stops it)."""
    count, failures = 0, []
    writer = Writer(access.client, Fence(session.clock, interrupt=session.cancel))
    for pod_id in pod_ids:
        try:
            if writer.delete(pod_id):  # False: already gone, the goal is met
                session.log(f"terminated pod {pod_id}")
                count += 1
        except RunPodError as exc:
            failures.append(f"{pod_id}: {exc}")
    return count, failures
