"""fsutil.atomic_write: never through a planted symlink, never a predictable temp name."""

from __future__ import annotations

import os
from pathlib import Path

from gitops_runner.fsutil import atomic_write


def test_atomic_write_replaces_a_symlink_instead_of_writing_through_it(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep")
    link = tmp_path / "plan.json"
    link.symlink_to(target)
    atomic_write(str(link), b"new")
    assert target.read_text() == "keep"
    assert not link.is_symlink() and link.read_bytes() == b"new"


def test_atomic_write_ignores_a_planted_old_style_temp_symlink(tmp_path: Path) -> None:
    target = tmp_path / "victim.txt"
    target.write_text("keep")
    (tmp_path / f"state.json.{os.getpid()}.tmp").symlink_to(target)
    atomic_write(str(tmp_path / "state.json"), b"{}")
    assert target.read_text() == "keep"
    assert (tmp_path / "state.json").read_bytes() == b"{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == \
        sorted(["victim.txt", "state.json", f"state.json.{os.getpid()}.tmp"])


def test_atomic_write_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("old")
    path.chmod(0o600)
    atomic_write(str(path), b"new")
    assert (path.stat().st_mode & 0o777) == 0o600
    fresh = tmp_path / "fresh.json"
    atomic_write(str(fresh), b"x")
    assert (fresh.stat().st_mode & 0o777) == 0o644
