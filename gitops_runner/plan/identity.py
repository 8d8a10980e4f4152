"""How a managed pod is named and recognised on RunPod (CONTRACT §5)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

MARKER_STACK = "GITOPS_RUNNER_STACK"
MARKER_POD = "GITOPS_RUNNER_POD"
MARKER_SPEC = "GITOPS_RUNNER_SPEC"
MARKER_TAG_PREFIX = "GITOPS_RUNNER_TAG_"
MARKER_PREFIX = "GITOPS_RUNNER_"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_of(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def logical_names(pod: str, replicas: int) -> list[str]:
    return [pod] if replicas == 1 else [f"{pod}-{i}" for i in range(replicas)]


def runpod_name(project: str, environment: str, logical: str) -> str:
    return f"{project}-{environment}-{logical}"


def tag_env_key(tag: str) -> str:
    return MARKER_TAG_PREFIX + re.sub(r"[^A-Z0-9_]", "_", tag.upper())


def marker_env(stack: str, logical: str, tags: dict[str, str]) -> dict[str, str]:
    env = {MARKER_STACK: stack, MARKER_POD: logical}
    for key, value in tags.items():
        env[tag_env_key(key)] = value
    return env


# Env keys RunPod itself adds to a pod (RUNPOD.md §4.4 and §8b; the v2 spec's
# startSsh/startJupyter): they were never declared, so they are not drift.
PLATFORM_ENV_KEYS = frozenset({"PUBLIC_KEY", "JUPYTER_PASSWORD"})
PLATFORM_ENV_PREFIX = "RUNPOD_"


def is_platform_env(key: str) -> bool:
    return key in PLATFORM_ENV_KEYS or key.startswith(PLATFORM_ENV_PREFIX)
