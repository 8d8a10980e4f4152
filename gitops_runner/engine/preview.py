"""Preview stacks (CONTRACT §12): apply one, destroy one (pods and state), find the live
ones by their markers, and sweep those whose pull request closed or whose TTL passed.

A preview is an ordinary stack with its own name (config/preview.py), so apply and
destroy are the usual flows under its own lock; identity by markers keeps one pull
request's preview from ever touching another's pods or the main stack's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gitops_runner.config.model import Stack
from gitops_runner.config.preview import preview_stack
from gitops_runner.engine.apply import ApplyOptions, ApplyResult, apply_stack
from gitops_runner.engine.clock import utcnow
from gitops_runner.engine.destroy import destroy_stack
from gitops_runner.engine.lock import held_lock
from gitops_runner.engine.observe import read_state
from gitops_runner.engine.session import RunPodAccess, Session
from gitops_runner.engine.status import status_rows
from gitops_runner.errors import GitopsError
from gitops_runner.plan.observed import parse_pod
from gitops_runner.plan.previews import LivePreview, live_previews
from gitops_runner.state.base import LockInfo


@dataclass
class PreviewApplied:
    stack: Stack  # the preview stack
    result: ApplyResult
    rows: list[dict[str, Any]] = field(default_factory=list)  # status rows: endpoints, health


def apply_preview(session: Session, base: Stack, number: int, access: RunPodAccess,
                  secrets: Mapping[str, str]) -> PreviewApplied:
    """Plan and apply the preview (waiting for readiness), then read its endpoints and
    health. Its guardrails (max_hourly_cost above all) refuse it before any change."""
    preview = preview_stack(base, number)
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
    store, locker = session.backend(stack)
    info = LockInfo.new("destroy", stack.name, session.identity)
    with held_lock(locker, info, stack.state.lock.wait_seconds, session.log):
        snapshot = store.read()
        if (snapshot.doc is None or snapshot.token is None or snapshot.doc.pods
                or snapshot.doc.volumes):
            return False
        store.delete(snapshot.token)
        session.log(f"{stack.name}: state removed ({store.describe()})")
        return True


def find_previews(stacks: Sequence[Stack], access: RunPodAccess) -> list[LivePreview]:
    return live_previews(stacks, (parse_pod(p) for p in access.client.list_pods()))


@dataclass(frozen=True)
class Swept:
    preview: LivePreview
    reason: str  # why it was destroyed; "" = kept
    terminated: int = 0
    failures: tuple[str, ...] = ()


def sweep(session: Session, stacks: Sequence[Stack], access: RunPodAccess,
          pull_open: Callable[[int], bool | None]) -> list[Swept]:
    """Destroy every preview whose TTL passed or whose pull request is closed.
    `pull_open(number)`: True open, False closed, None unknown (kept unless expired)."""
    now = utcnow(session.clock)
    out: list[Swept] = []
    for live in find_previews(stacks, access):
        ttl = live.base.preview.ttl_hours if live.base.preview else 0
        reason = ""
        if live.expired(now):
            reason = f"older than its ttl_hours ({ttl:g} h)"
        elif pull_open(live.number) is False:
            reason = f"pull request #{live.number} is closed"
        if not reason:
            out.append(Swept(live, ""))
            continue
        session.log(f"{live.name}: destroying the preview: {reason}")
        try:
            count, failures = destroy_preview(session, live.base, live.number, access)
        except GitopsError as exc:
            count, failures = 0, [str(exc)]
        out.append(Swept(live, reason, count, tuple(failures)))
    return out
