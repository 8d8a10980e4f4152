"""state show|list|pull|history (read) and push|rm|import (repair, under the lock)."""

from __future__ import annotations

from collections.abc import Sequence

from gitops_runner.engine import state_ops
from gitops_runner.engine.observe import read_state
from gitops_runner.engine.session import Session
from gitops_runner.report.state import state_lines


def read(session: Session, configs: Sequence[str], what: str) -> int:
    stack = state_ops.one_stack(session.stacks(configs))
    _, snapshot = read_state(session, stack)
    for line in state_lines(snapshot.doc, what):
        session.out.report(line)
    return 0


def push(session: Session, configs: Sequence[str], file: str) -> int:
    stack = state_ops.one_stack(session.stacks(configs))
    with open(file, encoding="utf-8") as handle:
        doc = state_ops.state_push(session, stack, handle.read(), file)
    session.out.report(f"{stack.name}: state pushed (serial {doc.serial})")
    return 0


def rm(session: Session, configs: Sequence[str], pod: str) -> int:
    stack = state_ops.one_stack(session.stacks(configs))
    state_ops.state_rm(session, stack, pod)
    session.out.report(f"{stack.name}: {pod} removed from state (RunPod untouched)")
    return 0


def import_pod(session: Session, configs: Sequence[str], pod: str, pod_id: str) -> int:
    stacks = session.stacks(configs)
    stack = state_ops.one_stack(stacks)
    with session.runpod(stacks) as access:
        record = state_ops.state_import(session, stack, access.client, pod, pod_id)
    session.out.report(f"{stack.name}: imported pod {record.id} as {pod}; run plan to see "
                       "how it differs from the deploy file")
    return 0
