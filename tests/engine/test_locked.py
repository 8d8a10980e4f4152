"""The one locked flow: lock (with wait), fence, state read or start empty, journal,
release, unlock errors after the result."""

from __future__ import annotations

import threading
import time

import pytest

from gitops_runner.engine.lock import UnlockError
from gitops_runner.engine.locked import locked
from gitops_runner.errors import GitopsError
from gitops_runner.state.base import LockError, LockHeldError, LockInfo, RunIdentity
from tests.fakes.memory import MemoryLocker, MemoryStore, Shared
from tests.helpers import make_session
from tests.plan.factories import stack_from_yaml

PODS = """
pods:
  - name: api
    gpu: {type: NVIDIA L4}
    runtime: {image: "img:1"}
"""
STACK = stack_from_yaml(PODS)


class Unreleasable(MemoryLocker):
    def unlock(self, lock_id: str) -> None:
        raise LockError("lock table unreachable")


def _session(shared: Shared, locker: type[MemoryLocker] = MemoryLocker):  # type: ignore[no-untyped-def]
    session = make_session()
    session.backends = lambda stack, log: (MemoryStore(shared), locker(shared))
    return session


def test_locked_reads_or_starts_state_journals_and_releases() -> None:
    shared = Shared()
    with locked(_session(shared), STACK, "state rm") as flow:
        assert not flow.journal.existed and flow.journal.doc.serial == 0
        assert shared.holder is not None and shared.holder.operation == "state rm"
        flow.journal.update(lambda doc: doc)
    assert shared.holder is None
    with locked(_session(shared), STACK, "apply") as flow:
        assert flow.journal.existed and flow.journal.doc.serial == 1


def test_locked_unlock_error_is_reported_after_the_result_never_instead() -> None:
    errors: list[str] = []
    with locked(_session(Shared(), Unreleasable), STACK, "apply", unlock_errors=errors) as flow:
        assert flow.unlock_errors == []  # only filled at release
    assert errors == flow.unlock_errors and "could not release the lock" in errors[0]
    # Without a list: raised when the flow succeeded, never in place of its own error.
    with pytest.raises(UnlockError), locked(_session(Shared(), Unreleasable), STACK, "apply"):
        pass
    with pytest.raises(ValueError, match="the flow's own"), \
            locked(_session(Shared(), Unreleasable), STACK, "apply"):
        raise ValueError("the flow's own error")


def _held(shared: Shared) -> None:
    shared.holder = LockInfo.new("schedule", STACK.name, RunIdentity("scheduled-run"))

    def release() -> None:
        time.sleep(0.3)
        shared.holder = None

    threading.Thread(target=release, daemon=True).start()


def test_in_actions_a_held_lock_is_waited_for_by_default() -> None:
    shared = Shared()
    _held(shared)
    # Outside Actions: no wait unless wait_seconds says so.
    with pytest.raises(LockHeldError), locked(_session(shared), STACK, "apply"):
        pass
    shared = Shared()
    _held(shared)
    session = _session(shared)
    session.in_actions = True
    with locked(session, STACK, "apply") as flow:
        assert shared.holder is not None and shared.holder.operation == "apply"
        assert not flow.fence.lost


def test_a_state_of_another_stack_is_refused_and_the_lock_released() -> None:
    shared = Shared()
    other = stack_from_yaml(PODS, project="team-b")
    with locked(_session(shared), other, "apply") as flow:
        flow.journal.update(lambda doc: doc)
    with pytest.raises(GitopsError, match="holds the state of team-b/prod"), \
            locked(_session(shared), STACK, "apply"):
        pass
    assert shared.holder is None
