"""Preview stacks (CONTRACT §12): the stack a pull request gets, derived from a Stack.

Pure. A preview of `{project}/{environment}` for pull request N is the stack
`{project}/{environment}-pr-N`: its own name, so its own state key, lock and pod markers
(GITOPS_RUNNER_STACK), which is what keeps one pull request's preview away from another's
pods and from the main stack's.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from gitops_runner.config.model import Stack
from gitops_runner.config.naming import valid_name
from gitops_runner.errors import UsageError

DEFAULT_LABEL = "preview"
PR_TAG = "pr"  # every preview pod carries GITOPS_RUNNER_TAG_PR={number}
EXPIRES_TAG = "expires"  # ...and GITOPS_RUNNER_TAG_EXPIRES={RFC 3339}, stamped at create
REPO_TAG = "repo"  # ...and GITOPS_RUNNER_TAG_REPO={owner/name} when made in GitHub Actions
# Pull request numbers up to this many digits must give valid names (config/semantic
# checks the environment leaves room for them).
MAX_PR_DIGITS = 6
_SUFFIX = re.compile(r"-pr-[0-9]+$")
_NUMBER = re.compile(r"[1-9][0-9]{0,8}")
# Setting one of these in `overrides` replaces the other in the pod it is merged over.
_EXCLUSIVE = (("volume", "network_volume"), ("network_volume", "volume"))


def looks_like_preview(environment: str) -> bool:
    """An environment named as previews are; main stacks may not take such names."""
    return bool(_SUFFIX.search(environment))


def preview_environment(environment: str, number: int) -> str:
    return f"{environment}-pr-{number}"


def longest_preview_environment(environment: str) -> str:
    return preview_environment(environment, 10**MAX_PR_DIGITS - 1)


def merge_overrides(pod: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`overrides` over one pod's raw data: mappings merge key by key (gpu, runtime, env,
    tags...), anything else (lists, scalars) is replaced."""
    out = dict(pod)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_overrides(out[key], value)
        else:
            out[key] = value
    for given, dropped in _EXCLUSIVE:
        if given in overrides:
            out.pop(dropped, None)
    return out


def preview_stack(stack: Stack, number: int, expires: str = "", repository: str = "") -> Stack:
    """The preview of `stack` for pull request `number`: the overridden pods, tagged with the
    number; the preview's max_hourly_cost as its cost guardrail; deletes allowed (a preview
    is disposable: a pushed GPU change replaces its pod). Its TTL is not a per-pod
    replacement age: when it passes, the whole preview is destroyed (engine/preview.py);
    `expires` (RFC 3339) is stamped on its pods so the sweep finds it whatever the files say,
    and `repository` (owner/name) so another repository's sweep leaves it alone."""
    if stack.preview is None:
        raise UsageError(f"{stack.name} ({stack.file}) has no preview block")
    if number < 1 or not _NUMBER.fullmatch(str(number)):
        raise UsageError(f"invalid pull request number {number}")
    environment = preview_environment(stack.environment, number)
    if not valid_name(environment):
        raise UsageError(f"the preview of {stack.name} for #{number} would be named "
                         f"{environment!r}, which is not a valid environment name; shorten "
                         "project.environment")
    stamp = {PR_TAG: str(number), **({EXPIRES_TAG: expires} if expires else {}),
             **({REPO_TAG: repository} if repository else {})}
    pods = tuple(replace(p, tags={**p.tags, **stamp}) for p in stack.preview.pods)
    guard = replace(stack.guardrails, max_hourly_cost=stack.preview.max_hourly_cost,
                    ttl_hours=0, allow_delete=True, max_deletes=None)
    # Pods only: the preview policy (images, secrets, volumes) is written for pods, so a
    # pull request may not bring serverless endpoints or network volumes (CONTRACT §14)
    # along unchecked: volumes would be made under no cap, and carry no PR marker the
    # sweep could find. A preview mounts only a volume id its policy lists.
    return replace(stack, environment=environment, pods=pods, guardrails=guard, preview=None,
                   endpoints=(), volumes=())


def preview_number(stack: Stack, marker: str | None) -> int | None:
    """The pull request whose preview of `stack` a pod's GITOPS_RUNNER_STACK marker names;
    None for anything else (the main stack, another stack, another stack's previews)."""
    prefix = f"{stack.name}-pr-"
    if not marker or not marker.startswith(prefix):
        return None
    rest = marker[len(prefix):]
    return int(rest) if _NUMBER.fullmatch(rest) else None
