"""Atomic file writes: readers see the old file or the new one, never half of either."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile

DEFAULT_MODE = 0o644


def read_bytes(path: str) -> bytes | None:
    """The file's bytes, or None when there is no file."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def atomic_write(path: str, data: bytes) -> None:
    """A fresh temp file in the same directory (mkstemp: an unpredictable name, created
    exclusively, so a symlink planted in a repository is never followed), fsync, rename
    over `path` (a symlink there is replaced, not written through), fsync the directory.
    The file keeps the mode of the regular file it replaces, else 0644."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    mode = DEFAULT_MODE
    with contextlib.suppress(FileNotFoundError):
        current = os.stat(path, follow_symlinks=False)
        if stat.S_ISREG(current.st_mode):
            mode = stat.S_IMODE(current.st_mode)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
