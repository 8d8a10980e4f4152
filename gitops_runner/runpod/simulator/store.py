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

from gitops_runner.fsutil import atomic_write, read_bytes
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
    if not known:
        return data
    return _mapped(data, lambda v: _digest(v) if v in known else v)


def unseal(data: dict[str, Any], secrets: Collection[str]) -> dict[str, Any]:
    """A sealed value comes back as the secret whose digest it is. One whose secret this
    run does not know (rotated, or not exported) stays sealed: to the plan it is a
    different value, which is what a rotated secret is."""
    known = {_digest(v): v for v in secrets}
    if not known:
        return data
    return _mapped(data, lambda v: known.get(v, v))


class FileStore:
    """Keeps a world in a JSON file so successive sandbox runs see the same pods.
    `secrets` (the run's secret values) are stored only as digests.

    Most requests only read: a session whose world ends as it began writes nothing (no
    fsync per GET), and one that finds the file as the previous session left it unchanged
    keeps the world in memory rather than parsing it again."""

    def __init__(self, path: str, secrets: Collection[str] = ()) -> None:
        self.path = path
        self.secrets = secrets
        self._thread_lock = threading.Lock()
        # The file's bytes when the world in memory was last loaded from them and left
        # unchanged (a session that changed the world reloads next time, so the world
        # is always what the file says, JSON types included).
        self._in_sync: tuple[World, bytes] | None = None

    @contextlib.contextmanager
    def session(self, world: World) -> Iterator[None]:
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        with self._thread_lock, open(self.path + ".lock", "a+") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                on_disk = read_bytes(self.path)
                synced = self._in_sync
                if on_disk is not None and (synced is None or synced[0] is not world
                                            or synced[1] != on_disk):
                    world.load_dict(unseal(json.loads(on_disk), self.secrets))
                self._in_sync = None
                yield
                raw = json.dumps(seal(world.to_dict(), self.secrets)).encode()
                if raw != on_disk:
                    atomic_write(self.path, raw)
                else:
                    self._in_sync = (world, raw)
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
