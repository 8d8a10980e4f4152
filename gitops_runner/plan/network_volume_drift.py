"""Drift of the stack's network volumes (CONTRACT §6, §14): existence and size.

`drift`: RunPod differs from what was applied (a recorded volume gone, or resized outside
gitops-runner); `pending`: the file differs from what was applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gitops_runner.config.model import Stack
from gitops_runner.plan.changes import FieldChange
from gitops_runner.plan.drift import DriftClass, Finding
from gitops_runner.plan.network_volumes import desired_volumes, parse_volume, volume_moves
from gitops_runner.plan.statefile import StateDoc


def volume_drift(stack: Stack, state: StateDoc,
                 observed: Iterable[Mapping[str, Any]]) -> list[Finding]:
    seen = {v.id: v for v in (parse_volume(raw) for raw in observed)}
    wanted = {w.runpod_name: w for w in desired_volumes(stack)}
    moves = {old: (new, volume) for new, (old, volume) in volume_moves(stack, state).items()}
    findings = []
    for name, record in sorted(state.volumes.items()):
        label = f"volume {record.volume} [{record.data_center}]"
        obs = seen.get(record.id)
        if obs is None:
            findings.append(Finding(label, DriftClass.DRIFT, (f"network volume {record.id} is gone "
                                                     "from RunPod",)))
        elif obs.size_gb is not None and obs.size_gb != record.size_gb:
            # As pod drift: before is what RunPod has, after what was applied.
            findings.append(Finding(label, DriftClass.DRIFT, (f"size_gb: applied {record.size_gb}, "
                                                     f"RunPod has {obs.size_gb}",),
                                    changes=(FieldChange("size_gb", obs.size_gb, record.size_gb),)))
        new_name, _ = moves.get(name, (name, None))
        want = wanted.get(new_name)
        if name in moves:
            findings.append(Finding(label, DriftClass.PENDING, (
                f"moved to {want.volume if want else new_name}: RunPod name {name} -> "
                f"{new_name}",)))
        if want is None:
            findings.append(Finding(label, DriftClass.PENDING, ("removed from the deploy file",)))
        elif want.size_gb != record.size_gb:
            change = FieldChange("size_gb", record.size_gb, want.size_gb)
            findings.append(Finding(label, DriftClass.PENDING, (change.describe(),),
                                    changes=(change,)))
    for name, want in sorted(wanted.items()):
        if name not in state.volumes and name not in volume_moves(stack, state):
            findings.append(Finding(f"volume {want.volume} [{want.data_center}]", DriftClass.PENDING,
                                    ("not applied yet",)))
    return findings


def volume_rows(stack: Stack, state: StateDoc,
                observed: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """`status`: each declared or recorded network volume, as RunPod has it now (a copy a
    `moved` entry renames at the next apply: under its RunPod name now, TO RENAME)."""
    seen = {v.id: v for v in (parse_volume(raw) for raw in observed)}
    wanted = {w.runpod_name: w for w in desired_volumes(stack)}
    moves = volume_moves(stack, state)
    renamed = {old: wanted[new] for new, (old, _) in moves.items()}
    rows = []
    for name in sorted((set(wanted) - set(moves)) | set(state.volumes)):
        record = state.volumes.get(name)
        want = wanted.get(name) or renamed.get(name)
        obs = seen.get(record.id) if record else None
        status = ("NOT CREATED" if record is None else "MISSING" if obs is None
                  else "TO RENAME" if name in renamed
                  else "AVAILABLE" if want is not None else "REMOVED FROM FILE")
        size = obs.size_gb if obs is not None else None
        rows.append({"volume": want.volume if want else record.volume if record else name,
                     "name": name, "id": record.id if record else None,
                     "data_center": want.data_center if want else
                     record.data_center if record else None,
                     "size_gb": size, "status": status})
    return rows
