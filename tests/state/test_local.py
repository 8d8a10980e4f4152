from __future__ import annotations

import json
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from gitops_runner.state.base import LockError, LockHeldError
from gitops_runner.state.local import FileLocker, LocalStateStore
from tests.state import contract


@pytest.fixture
def pair(tmp_path: Path) -> contract.Pair:
    return contract.Pair(LocalStateStore(str(tmp_path), "demo", "prod"),
                         LocalStateStore(str(tmp_path), "demo", "prod"),
                         FileLocker(str(tmp_path), "demo", "prod", poll_seconds=0.05),
                         FileLocker(str(tmp_path), "demo", "prod", poll_seconds=0.05))


@pytest.mark.parametrize("check", contract.STATE_CHECKS + contract.RACE_CHECKS
                         + contract.BASIC_LOCK_CHECKS)
def test_local_backend_conformance(pair: contract.Pair, check) -> None:  # type: ignore[no-untyped-def]
    check(pair)


def test_local_force_unlock_explains_file_locks(pair: contract.Pair) -> None:
    held = contract.info()
    pair.locker_a.lock(held, deadline=time.time())
    with pytest.raises(LockError, match="a file lock ends with its process"):
        pair.locker_b.force_unlock(held.id)
    pair.locker_a.unlock(held.id)


def test_local_write_is_atomic_and_keeps_a_backup(tmp_path: Path) -> None:
    store = LocalStateStore(str(tmp_path), "demo", "prod")
    doc = contract.first_state()
    token = store.write(doc, None)
    store.write(doc.next_serial(), token)
    path = tmp_path / "demo" / "prod.json"
    assert json.loads(path.read_text())["serial"] == 2
    assert json.loads((tmp_path / "demo" / "prod.json.backup").read_text())["serial"] == 1
    assert not list(tmp_path.glob("demo/*.tmp"))


def _hold_lock(directory: str, ready: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    locker = FileLocker(directory, "demo", "prod")
    locker.lock(contract.info("apply"), deadline=time.time())
    ready.set()
    time.sleep(60)


def test_local_lock_dies_with_its_process(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    proc = ctx.Process(target=_hold_lock, args=(str(tmp_path), ready))
    proc.start()
    assert ready.wait(10)
    locker = FileLocker(str(tmp_path), "demo", "prod")
    with pytest.raises(LockHeldError) as caught:
        locker.lock(contract.info("plan"), deadline=time.time())
    assert caught.value.holder.who == "tester-apply"
    assert caught.value.holder.pid == proc.pid
    os.kill(proc.pid, 9)
    proc.join()
    mine = contract.info("plan")
    locker.lock(mine, deadline=time.time() + 5)
    locker.unlock(mine.id)


def test_local_corrupt_state_is_a_clear_error(tmp_path: Path) -> None:
    store = LocalStateStore(str(tmp_path), "demo", "prod")
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "prod.json").write_text("{broken")
    with pytest.raises(Exception, match="not valid JSON") as caught:
        store.read()
    assert "prod.json" in str(caught.value)  # the message says which file to fix
