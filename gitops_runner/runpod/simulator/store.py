"""The sandbox's persistence: one JSON file per world, locked across processes."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Callable, Collection, Iterator
from typing import Any

from gitops_runner.fsutil import atomic_write
from gitops_runner.runpod.simulator.world import World

SEALED = "sandbox-sealed:sha256:"


def _digest(value: str) -> str:
    return SEALED + hashlib.sha256(value.encode()).hexdigest()


def _mapped(node: Any, change: Callable[[str], str]) -> Any:
    """`node` with `change` applied to every string value, however deep: pods' env, and
    serverless templates', endpoints' and releases' (their change records too, §14)."""
    if isinstance(node, dict):
        return {k: _mapped(v, change) for k, v in node.items()}
    if isinstance(node, list):
        return [_mapped(v, change) for v in node]
    return change(node) if isinstance(node, str) else node


def seal(data: dict[str, Any], secrets: Collection[str]) -> dict[str, Any]:
    """The world as written to disk: every value that is one of `secrets` kept as its
    digest, as state keeps it, so the file (next to the state, easy to commit) never holds
    a secret in plain text."""
    known = set(secrets)
    return _mapped(data, lambda v: _digest(v) if v in known else v)


def unseal(data: dict[str, Any], secrets: Collection[str]) -> dict[str, Any]:
    """A sealed value comes back as the secret whose digest it is. One whose secret this
    run does not know (rotated, or not exported) stays sealed: to the plan it is a
    different value, which is what a rotated secret is."""
    known = {_digest(v): v for v in secrets}
    return _mapped(data, lambda v: known.get(v, v))


class FileStore:
    """Keeps a world in a JSON file so successive sandbox runs see the same pods.
    `secrets` (the run's secret values) are stored only as digests."""

    def __init__(self, path: str, secrets: Collection[str] = ()) -> None:
        self.path = path
        self.secrets = secrets
        self._thread_lock = threading.Lock()

    @contextlib.contextmanager
    def session(self, world: World) -> Iterator[None]:
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        with self._thread_lock, open(self.path + ".lock", "a+") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                if os.path.exists(self.path):
                    with open(self.path, encoding="utf-8") as handle:
                        world.load_dict(unseal(json.load(handle), self.secrets))
                yield
                sealed = seal(world.to_dict(), self.secrets)
                atomic_write(self.path, json.dumps(sealed).encode())
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
