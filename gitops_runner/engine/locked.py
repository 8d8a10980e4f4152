"""The one locked flow (CONTRACT §7): every command that writes a stack's state or its
pods runs inside `locked(session, stack, operation)`.

It takes the stack's lock (waiting up to `lock.wait_seconds` for a holder, then stamping
a fresh lease), keeps the lease alive, fences every write behind it, reads the state
(or starts an empty one), hands the flow a journal, and always releases the lock. A
failure to release is reported after the flow's own result, never instead of it: it
lands in `Locked.unlock_errors` (the caller's list when given), and is raised only when
the caller gave no list and the flow itself succeeded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from gitops_runner.config.model import Stack
from gitops_runner.engine.fence import Fence
from gitops_runner.engine.journal import Journal, open_journal
from gitops_runner.engine.lock import held_lock
from gitops_runner.engine.session import Session
from gitops_runner.state.base import LockInfo, StateStore

# In GitHub Actions a held lock is waited for (CONTRACT §7): a merge's apply that meets the
# scheduled run's lock waits for it instead of failing.
ACTIONS_LOCK_WAIT_SECONDS = 600


@dataclass
class Locked:
    stack: Stack
    store: StateStore
    fence: Fence
    journal: Journal
    # Filled when the lock is released (after the flow's block): report them last.
    unlock_errors: list[str] = field(default_factory=list)


@contextlib.contextmanager
def locked(session: Session, stack: Stack, operation: str, *, lineage: str | None = None,
           unlock_errors: list[str] | None = None) -> Iterator[Locked]:
    """Hold the stack's lock for the block; `lineage` names the state an empty one starts
    as (a saved plan's)."""
    store, locker = session.backend(stack)
    info = LockInfo.new(operation, stack.name, session.identity)
    fence = Fence(session.clock, stack=stack.name, interrupt=session.cancel)
    errors = unlock_errors if unlock_errors is not None else []
    wait = stack.state.lock.wait_seconds
    if wait is None:
        wait = ACTIONS_LOCK_WAIT_SECONDS if session.in_actions else 0
    with held_lock(locker, info, wait, session.log, session.clock,
                   fence, errors if unlock_errors is not None else None):
        journal = open_journal(store, stack, session.clock, lineage, fence)
        yield Locked(stack, store, fence, journal, errors)
