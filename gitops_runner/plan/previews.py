"""Live previews, found on RunPod by their stack markers (CONTRACT §12).

Pure. A preview whose state was lost is still found: its pods carry
GITOPS_RUNNER_STACK={project}/{environment}-pr-{number}.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from gitops_runner.config.model import Stack
from gitops_runner.config.preview import preview_environment, preview_number
from gitops_runner.plan.observed import ObservedPod


@dataclass(frozen=True)
class LivePreview:
    base: Stack  # the stack it previews, with its `preview` block
    number: int  # the pull request
    pods: tuple[ObservedPod, ...]

    @property
    def name(self) -> str:
        return f"{self.base.project}/{preview_environment(self.base.environment, self.number)}"

    @property
    def created_at(self) -> datetime | None:
        """The oldest pod's RunPod createdAt: the preview is as old as its first pod."""
        times = [p.created_at for p in self.pods if p.created_at is not None]
        return min(times) if times else None

    @property
    def cost(self) -> float:
        return round(sum(p.cost for p in self.pods), 4)

    def age_hours(self, now: datetime) -> float | None:
        created = self.created_at
        return None if created is None else (now - created).total_seconds() / 3600

    def expired(self, now: datetime) -> bool:
        age = self.age_hours(now)
        ttl = self.base.preview.ttl_hours if self.base.preview else 0
        return age is not None and ttl > 0 and age >= ttl


def live_previews(stacks: Sequence[Stack], pods: Iterable[ObservedPod]) -> list[LivePreview]:
    """Every preview of a stack with a `preview` block that has a pod on RunPod, by stack
    then pull request number."""
    found: dict[tuple[int, int], list[ObservedPod]] = {}
    bases = [s for s in stacks if s.preview is not None]
    for pod in pods:
        if pod.status == "TERMINATED":
            continue
        for i, base in enumerate(bases):
            number = preview_number(base, pod.stack)
            if number is not None:
                found.setdefault((i, number), []).append(pod)
    return [LivePreview(bases[i], number, tuple(sorted(group, key=lambda p: p.name)))
            for (i, number), group in sorted(found.items())]
