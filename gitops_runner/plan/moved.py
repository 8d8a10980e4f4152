"""`moved` entries (CONTRACT §4) checked against state: a pod moves to a pod entry, a
volume to a volume. The file alone cannot tell (the old name is gone from it); state can."""

from __future__ import annotations

from gitops_runner.config.model import Stack
from gitops_runner.plan.statefile import StateDoc


def moved_kind_problems(stack: Stack, state: StateDoc) -> list[str]:
    """A `moved` entry renames a pod to a pod or a volume to a volume (CONTRACT §4); which
    one its `from` was, only state knows."""
    pods = {p.name for p in stack.pods}
    volumes = {v.name for v in stack.volumes}
    problems = []
    for old, new in stack.moved.items():
        was_pod = any(k == old or k.startswith(old + "-") for k in state.pods)
        was_volume = any(r.volume == old for r in state.volumes.values())
        if was_pod and not was_volume and new in volumes and new not in pods:
            kinds = ("a pod", "a volume")
        elif was_volume and not was_pod and new in pods and new not in volumes:
            kinds = ("a volume", "a pod")
        else:
            continue
        where = stack.moved_at.get(old, stack.file)
        problems.append(f"{where}: moved: '{old}' is {kinds[0]} (state records it) and "
                        f"'{new}' is {kinds[1]}; a pod moves to a pod entry, a volume to a "
                        "volume entry")
    return problems
