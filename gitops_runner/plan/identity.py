"""How a managed pod is named and recognised on RunPod (CONTRACT §5)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from gitops_runner.config.naming import MARKER_PREFIX

MARKER_STACK = MARKER_PREFIX + "STACK"
MARKER_POD = MARKER_PREFIX + "POD"
MARKER_SPEC = MARKER_PREFIX + "SPEC"
# The state lineage a pod was made under (CONTRACT §5). Like the spec marker, it is not
# part of the spec hash: it is set with every create and PATCH, never a reason for one.
MARKER_LINEAGE = MARKER_PREFIX + "LINEAGE"
MARKER_TAG_PREFIX = MARKER_PREFIX + "TAG_"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_of(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


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
