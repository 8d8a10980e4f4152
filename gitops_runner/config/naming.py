"""How stacks and pods are named (CONTRACT §4, §5): the one home of these rules."""

from __future__ import annotations

import re

# As the schema's "name" pattern (plus its "no --" rule): a DNS label fragment, so
# RunPod names and proxy hostnames built from it stay valid.
# Env keys with this prefix are the markers that make a pod ours: users may not set them.
MARKER_PREFIX = "GITOPS_RUNNER_"

NAME = re.compile(r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$")


def valid_name(text: str) -> bool:
    return bool(NAME.match(text)) and "--" not in text


def logical_names(pod: str, replicas: int) -> list[str]:
    """Replica 0 keeps the entry's bare name, so scaling 1 -> 3 -> 1 never touches it."""
    return [pod] + [f"{pod}-{i}" for i in range(1, replicas)]


def runpod_name(project: str, environment: str, logical: str) -> str:
    return f"{project}-{environment}-{logical}"


def volume_name(project: str, environment: str, volume: str, data_center: str | None) -> str:
    """A network volume's RunPod name (CONTRACT §14): one per data center when the volume
    lists `data_centers`, so each copy is told apart by name."""
    base = f"{project}-{environment}-{volume}"
    return f"{base}-{data_center}" if data_center else base
