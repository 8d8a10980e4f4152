"""The sandbox's persistence: one JSON file per world, locked across processes."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Iterator

from gitops_runner.fsutil import atomic_write
from gitops_runner.runpod.simulator.world import World


class FileStore:
    """Keeps a world in a JSON file so successive sandbox runs see the same pods."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._thread_lock = threading.Lock()

    @contextlib.contextmanager
    def session(self, world: World) -> Iterator[None]:
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        with self._thread_lock, open(self.path + ".lock", "a+") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                if os.path.exists(self.path):
                    with open(self.path, encoding="utf-8") as handle:
                        world.load_dict(json.load(handle))
                yield
                atomic_write(self.path, json.dumps(world.to_dict()).encode())
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
