"""state show|list|pull|history (read) and push|rm|import (repair, under the lock)."""

from __future__ import annotations

from collections.abc import Sequence

from gitops_runner.engine import state_ops, state_volumes
from gitops_runner.engine.observe import read_state
from gitops_runner.engine.session import Session
from gitops_runner.report.state import state_json, state_lines


def read(session: Session, configs: Sequence[str], what: str, fmt: str = "text") -> int:
    stack = state_ops.one_stack(session.stacks(configs))
    _, snapshot = read_state(session, stack)
    if fmt == "json" and what != "pull":
        session.out.report(state_json(stack.name, snapshot.doc, what))
        return 0
    for line in state_lines(snapshot.doc, what):
        session.out.report(line)
    return 0


def _unlock_errors(session: Session, errors: list[str]) -> None:
    """After the change's own line: a failed release never hides what was done."""
    for error in errors:
        session.out.report(f"  {error}")


def push(session: Session, configs: Sequence[str], file: str) -> int:
    stack = state_ops.one_stack(session.stacks(configs))
    errors: list[str] = []
    with open(file, encoding="utf-8") as handle:
        doc = state_ops.state_push(session, stack, handle.read(), file, errors)
    session.out.report(f"{stack.name}: state pushed (serial {doc.serial})")
    _unlock_errors(session, errors)
    return 0


def rm(session: Session, configs: Sequence[str], address: str) -> int:
    """`state rm POD` or `state rm volume.NAME`."""
    stack = state_ops.one_stack(session.stacks(configs))
    errors: list[str] = []
    volume = state_volumes.volume_address(address)
    if volume is not None:
        names = state_volumes.state_rm_volume(session, stack, volume, errors)
        session.out.report(f"{stack.name}: volume {volume} removed from state "
                           f"({', '.join(names)}; RunPod untouched: the next plan sees it as "
                           "foreign and never deletes it)")
    else:
        state_ops.state_rm(session, stack, address, errors)
        session.out.report(f"{stack.name}: {address} removed from state (RunPod untouched)")
    _unlock_errors(session, errors)
    return 0


def import_pod(session: Session, configs: Sequence[str], address: str, runpod_id: str) -> int:
    """`state import POD POD_ID` or `state import volume.NAME VOLUME_ID`."""
    stacks = session.stacks(configs)
    stack = state_ops.one_stack(stacks)
    errors: list[str] = []
    volume = state_volumes.volume_address(address)
    with session.runpod(stacks) as access:
        if volume is not None:
            vol = state_volumes.state_import_volume(session, stack, access.client, volume,
                                                    runpod_id, errors)
            line = (f"imported network volume {vol.id} as volume {volume} in "
                    f"{vol.data_center}")
        else:
            record = state_ops.state_import(session, stack, access.client, address,
                                            runpod_id, errors)
            line = f"imported pod {record.id} as {address}"
    session.out.report(f"{stack.name}: {line}; run plan to see how it differs from the "
                       "deploy file")
    _unlock_errors(session, errors)
    return 0
