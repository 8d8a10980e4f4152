"""Repair state under the stack's lock: push, rm, import; and force-unlock."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from gitops_runner.config.model import Stack
from gitops_runner.engine.clock import utc_text
from gitops_runner.engine.locked import locked
from gitops_runner.engine.session import Session
from gitops_runner.errors import GitopsError, UsageError
from gitops_runner.plan.desired import desired_pods
from gitops_runner.plan.observed import parse_pod
from gitops_runner.plan.records import imported_record
from gitops_runner.plan.statefile import HistoryEntry, PodRecord, StateDoc, parse_state
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import NotFoundError
from gitops_runner.state.base import Locker, LockInfo


def one_stack(stacks: Sequence[Stack]) -> Stack:
    if len(stacks) != 1:
        raise UsageError(f"this command works on one stack; {len(stacks)} deploy files matched. "
                         "Pick one with -c FILE")
    return stacks[0]


def _entry(session: Session, operation: str, result: str) -> HistoryEntry:
    return HistoryEntry(utc_text(session.clock), session.identity.actor, operation, "", result)


def locked_change(session: Session, stack: Stack, operation: str,
                   change: Callable[[StateDoc], StateDoc], result: str,
                   unlock_errors: list[str] | None = None) -> StateDoc:
    """One journaled change under the lock, recorded in the state's history."""
    with locked(session, stack, operation, unlock_errors=unlock_errors) as flow:
        return flow.journal.update(
            lambda doc: change(doc).with_history(_entry(session, operation, result)))


def state_push(session: Session, stack: Stack, text: str, source: str,
               unlock_errors: list[str] | None = None) -> StateDoc:
    """Store the file as given (plus a history entry saying so); the lineage/serial
    rules still apply."""
    pushed = parse_state(text, source)
    if pushed.stack != stack.name:
        raise UsageError(f"{source} is the state of {pushed.stack}, not {stack.name}")
    pushed = pushed.with_history(_entry(session, "state push", f"serial {pushed.serial} "
                                        f"from {source}"))
    with locked(session, stack, "state push", unlock_errors=unlock_errors) as flow:
        flow.journal.replace(pushed)
    return pushed


def state_rm(session: Session, stack: Stack, pod: str,
             unlock_errors: list[str] | None = None) -> None:
    def change(doc: StateDoc) -> StateDoc:
        if pod not in doc.pods:
            raise UsageError(f"{pod} is not in the state of {stack.name} "
                             f"(it has: {', '.join(sorted(doc.pods)) or 'nothing'})")
        return doc.forget(pod)

    locked_change(session, stack, "state rm", change, f"{pod} forgotten", unlock_errors)


def state_import(session: Session, stack: Stack, client: RunPodClient, pod: str,
                 pod_id: str, unlock_errors: list[str] | None = None) -> PodRecord:
    wanted = {d.logical: d for d in desired_pods(stack)}
    if pod not in wanted:
        raise UsageError(f"{pod} is not a pod of {stack.name}; pods: {', '.join(sorted(wanted))}")
    try:
        observed = parse_pod(client.get_pod(pod_id))
    except NotFoundError:
        raise UsageError(f"RunPod has no pod {pod_id}") from None
    if observed.stack is not None and observed.stack != stack.name:
        raise UsageError(f"pod {pod_id} carries the markers of stack {observed.stack}, not "
                         f"{stack.name}; refusing to import another stack's pod (both stacks "
                         "would then manage it)")
    want = wanted[pod]
    stamp = utc_text(session.clock)
    record = imported_record(want, observed, stamp)
    def change(doc: StateDoc) -> StateDoc:
        left = {i: name for i, name in doc.unmanaged.items() if i != observed.id}
        return replace(doc.with_pod(pod, record), unmanaged=left)

    locked_change(session, stack, "state import", change,
                   f"pod {observed.id} imported as {pod}", unlock_errors)
    return record


def force_unlock(stacks: Sequence[Stack], lockers: Sequence[Locker], lock_id: str,
                 check_run: Callable[[str], tuple[bool, str]] | None) -> tuple[Stack, LockInfo]:
    """Remove the lock whose id is `lock_id`: the stack it held, and its holder."""
    for stack, locker in zip(stacks, lockers, strict=True):
        holder = locker.holder()
        if holder is None or holder.id != lock_id:
            continue
        if check_run is not None:
            if not holder.run_url:
                raise GitopsError(f"lock {lock_id} records no run URL; cannot check whether its "
                                  "run finished. Drop --if-run-finished to force it")
            finished, said = check_run(holder.run_url)
            if not finished:
                raise GitopsError(f"refusing to unlock {stack.name}: {said} ({holder.run_url})")
        locker.force_unlock(lock_id)
        return stack, holder
    raise GitopsError(f"no stack is locked with id {lock_id}; see gitops-runner lock list")


def record_force_unlock(session: Session, stack: Stack, holder: LockInfo) -> bool:
    """Note a force-unlock in the stack's history, under a lock of our own; a stack with
    no state yet gets none (the note alone would create it). False when not recorded."""
    store, _ = session.backend(stack)
    if store.read().doc is None:
        return False
    locked_change(session, stack, "force-unlock", lambda doc: doc,
                   f"removed lock {holder.id} of {holder.who} ({holder.operation})")
    return True
