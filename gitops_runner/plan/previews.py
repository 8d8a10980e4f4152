"""Live previews, found on RunPod by their markers (CONTRACT §12). Pure.

Every preview pod carries GITOPS_RUNNER_STACK={project}/{environment}-pr-{number},
GITOPS_RUNNER_TAG_PR={number} and GITOPS_RUNNER_TAG_EXPIRES={RFC 3339}. A preview is
found from those alone, whatever the deploy files say today: one whose state was lost,
or whose preview block a later push removed or renamed (an orphan), is still found,
and its expiry is on its pods.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from gitops_runner.config.model import Stack
from gitops_runner.config.preview import EXPIRES_TAG, PR_TAG, REPO_TAG, preview_number
from gitops_runner.plan.identity import tag_env_key
from gitops_runner.plan.observed import ObservedPod

PR_MARKER = tag_env_key(PR_TAG)  # GITOPS_RUNNER_TAG_PR
EXPIRES_MARKER = tag_env_key(EXPIRES_TAG)  # GITOPS_RUNNER_TAG_EXPIRES
REPO_MARKER = tag_env_key(REPO_TAG)  # GITOPS_RUNNER_TAG_REPO


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


@dataclass(frozen=True)
class LivePreview:
    name: str  # the preview stack, from the pods' GITOPS_RUNNER_STACK
    number: int  # the pull request, from GITOPS_RUNNER_TAG_PR
    pods: tuple[ObservedPod, ...]
    base: Stack | None = None  # the stack (with a preview block) it previews; None: orphan

    @property
    def orphan(self) -> bool:
        """No deploy file given produces this preview any more."""
        return self.base is None

    @property
    def created_at(self) -> datetime | None:
        """The oldest pod's RunPod createdAt: the preview is as old as its first pod."""
        times = [p.created_at for p in self.pods if p.created_at is not None]
        return min(times) if times else None

    @property
    def expires_at(self) -> datetime | None:
        """The earliest expiry stamped on its pods (at create)."""
        times = [t for p in self.pods if (t := parse_time(p.env.get(EXPIRES_MARKER)))]
        return min(times) if times else None

    @property
    def ttl_hours(self) -> float | None:
        return self.base.preview.ttl_hours if self.base and self.base.preview else None

    @property
    def cost(self) -> float:
        return round(sum(p.cost for p in self.pods), 4)

    def age_hours(self, now: datetime) -> float | None:
        created = self.created_at
        return None if created is None else (now - created).total_seconds() / 3600

    def expired(self, now: datetime) -> bool:
        """Past the expiry on its pods; a pod without one (made before the stamp) is
        judged by the file's ttl_hours when a file still produces it."""
        expires = self.expires_at
        if expires is not None:
            return now >= expires
        age, ttl = self.age_hours(now), self.ttl_hours
        return age is not None and ttl is not None and ttl > 0 and age >= ttl


def _number(pod: ObservedPod) -> int | None:
    text = pod.env.get(PR_MARKER, "")
    return int(text) if text.isdigit() and len(text) <= 9 and int(text) > 0 else None


def from_repository(pod: ObservedPod, repository: str) -> bool:
    """Whether the pod may be `repository`'s (owner/name; "" outside Actions): a pod stamped
    with a repository is that repository's; one without the stamp (made outside Actions,
    or before the stamp) may be anyone's, and its markers decide."""
    stamped = pod.env.get(REPO_MARKER, "")
    return not (stamped and repository and stamped.lower() != repository.lower())


def ours(pod: ObservedPod, projects: set[str], repository: str) -> bool:
    """Only this repository's previews: another repository on the same RunPod account has
    its own pull request #12, and its preview is never ours to report or destroy."""
    if not pod.stack or pod.stack.split("/", 1)[0] not in projects:
        return False
    return from_repository(pod, repository)


def live_previews(stacks: Sequence[Stack], pods: Iterable[ObservedPod],
                  repository: str = "") -> list[LivePreview]:
    """Every preview of `stacks`' projects (and of `repository`, owner/name, when known)
    with a pod on RunPod (by name): each pod carrying a PR marker, grouped by its stack
    marker; `base` is the given stack that produces it, if any (none: an orphan, e.g. a
    renamed environment)."""
    found: dict[tuple[str, int], list[ObservedPod]] = {}
    projects = {s.project for s in stacks}
    for pod in pods:
        number = _number(pod)
        if (pod.status == "TERMINATED" or number is None or pod.stack is None
                or not ours(pod, projects, repository)):
            continue
        found.setdefault((pod.stack, number), []).append(pod)
    bases = [s for s in stacks if s.preview is not None]
    out = []
    for (name, number), group in sorted(found.items()):
        base = next((b for b in bases if preview_number(b, name) == number), None)
        out.append(LivePreview(name, number, tuple(sorted(group, key=lambda p: p.name)), base))
    return out


def orphans_of(previews: Sequence[LivePreview], number: int,
               produced: Iterable[str]) -> list[LivePreview]:
    """Pull request `number`'s previews that none of `produced` (preview stack names the
    current files make) is: what a push that removed or renamed a preview block left."""
    names = set(produced)
    return [p for p in previews if p.number == number and p.name not in names]
