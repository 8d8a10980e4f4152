"""The backend conformance suite: plain functions every backend's tests call.

Each takes two instances of the backend pointed at the same stack, playing two
processes (Terraform's TestBackendStateLocks, extended to state writes).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from gitops_runner.plan.statefile import StateConflictError, StateDoc
from gitops_runner.state.base import (
    TAKEOVER_MARGIN_SECONDS,
    Locker,
    LockError,
    LockHeldError,
    LockInfo,
    RunIdentity,
    StateStore,
)

STACK = "demo/prod"


@dataclass
class Pair:
    store_a: StateStore
    store_b: StateStore
    locker_a: Locker
    locker_b: Locker


def info(operation: str = "apply", lease: int = 600, age: int = 0) -> LockInfo:
    now = datetime.now(UTC) - timedelta(seconds=age)
    return LockInfo.new(operation, STACK, RunIdentity(f"tester-{operation}"), now=now,
                        lease=lease)


def first_state() -> StateDoc:
    return StateDoc.empty(STACK).next_serial()


# -- state ------------------------------------------------------------------------
def check_read_empty_then_round_trip(p: Pair) -> None:
    snap = p.store_a.read()
    assert snap.doc is None and snap.token is None
    doc = first_state()
    token = p.store_a.write(doc, None)
    again = p.store_b.read()
    assert again.doc == doc and again.token == token


def check_create_refused_when_state_exists(p: Pair) -> None:
    p.store_a.write(first_state(), None)
    with pytest.raises(StateConflictError):
        p.store_b.write(first_state(), None)


def check_zombie_writer_with_stale_token_is_refused(p: Pair) -> None:
    token = p.store_a.write(first_state(), None)
    zombie = p.store_b.read()
    doc = p.store_a.read().doc
    assert doc is not None
    p.store_a.write(doc.next_serial(), token)
    assert zombie.doc is not None
    with pytest.raises(StateConflictError):
        p.store_b.write(zombie.doc.next_serial().next_serial(), zombie.token)


def check_serial_must_increase_and_lineage_match(p: Pair) -> None:
    doc = first_state()
    token = p.store_a.write(doc, None)
    with pytest.raises(StateConflictError):
        p.store_a.write(doc, token)
    with pytest.raises(StateConflictError):
        p.store_a.write(StateDoc.empty(STACK).next_serial().next_serial(), token)
    assert p.store_b.read().doc == doc


def check_racing_writers_exactly_one_wins(p: Pair, racers: int = 8) -> None:
    token = p.store_a.write(first_state(), None)
    start = threading.Barrier(racers)
    wins: list[int] = []
    losses: list[int] = []
    stores = [p.store_a if i % 2 == 0 else p.store_b for i in range(racers)]
    current = p.store_a.read().doc
    assert current is not None

    def race(i: int) -> None:
        start.wait()
        try:
            stores[i].write(current.next_serial(), token)
            wins.append(i)
        except StateConflictError:
            losses.append(i)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1 and len(losses) == racers - 1


# -- locks --------------------------------------------------------------------------
def check_second_locker_fails_naming_the_holder(p: Pair) -> None:
    held = info("apply")
    p.locker_a.lock(held, deadline=time.time())
    with pytest.raises(LockHeldError) as caught:
        p.locker_b.lock(info("plan"), deadline=time.time())
    assert caught.value.holder.id == held.id
    assert caught.value.holder.who == "tester-apply"
    assert f"force-unlock {held.id}" in str(caught.value)
    p.locker_a.unlock(held.id)
    other = info("plan")
    p.locker_b.lock(other, deadline=time.time())
    p.locker_b.unlock(other.id)


def check_lock_ids_are_unique() -> None:
    assert len({info().id for _ in range(50)}) == 50


def check_unlock_needs_matching_id(p: Pair) -> None:
    held = info()
    p.locker_a.lock(held, deadline=time.time())
    with pytest.raises(LockError):
        p.locker_b.unlock("not-the-id")
    holder = p.locker_b.holder()
    assert holder is not None and holder.id == held.id
    p.locker_a.unlock(held.id)
    assert p.locker_b.holder() is None


def check_waiter_gets_the_lock_when_released(p: Pair) -> None:
    held = info()
    p.locker_a.lock(held, deadline=time.time())
    timer = threading.Timer(0.3, lambda: p.locker_a.unlock(held.id))
    timer.start()
    waiter = info("apply-2")
    p.locker_b.lock(waiter, deadline=time.time() + 10)
    timer.join()
    assert p.locker_b.holder() is not None
    p.locker_b.unlock(waiter.id)


def check_force_unlock_by_id(p: Pair) -> None:
    held = info()
    p.locker_a.lock(held, deadline=time.time())
    with pytest.raises(LockError):
        p.locker_b.force_unlock("wrong-id")
    p.locker_b.force_unlock(held.id)
    assert p.locker_b.holder() is None
    fresh = info()
    p.locker_b.lock(fresh, deadline=time.time())
    p.locker_b.unlock(fresh.id)


def check_lock_inside_the_takeover_margin_is_not_taken_over(p: Pair) -> None:
    # Expired 30 s ago by our clock: the holder's clock may be behind ours, so wait.
    recent = info("apply", lease=60, age=90)
    p.locker_a.lock(recent, deadline=time.time())
    with pytest.raises(LockHeldError):
        p.locker_b.lock(info("apply-2"), deadline=time.time())
    p.locker_a.unlock(recent.id)


def check_expired_lock_is_taken_over(p: Pair) -> None:
    stale = info("apply", lease=60, age=60 + TAKEOVER_MARGIN_SECONDS + 30)
    p.locker_a.lock(stale, deadline=time.time())
    fresh = info("apply-2")
    p.locker_b.lock(fresh, deadline=time.time())
    holder = p.locker_b.holder()
    assert holder is not None and holder.id == fresh.id
    with pytest.raises(LockError):
        p.locker_a.unlock(stale.id)
    p.locker_b.unlock(fresh.id)


def check_heartbeat_keeps_a_lock_alive(p: Pair) -> None:
    # Stamped so long ago that another runner may take it over now (Expires + the margin
    # are past): only the refresh keeps it ours, no waiting needed to show that.
    short = info("apply", lease=60, age=60 + TAKEOVER_MARGIN_SECONDS + 2)
    assert short.taken_over_at(time.time())
    p.locker_a.lock(short, deadline=time.time())
    p.locker_a.refresh(short.renewed())
    with pytest.raises(LockHeldError):
        p.locker_b.lock(info("apply-2"), deadline=time.time())
    p.locker_a.unlock(short.id)


def check_delete_needs_the_current_version(p: Pair) -> None:
    token = p.store_a.write(first_state(), None)
    stale = p.store_b.read()
    doc = p.store_a.read().doc
    assert doc is not None and stale.token is not None
    token = p.store_a.write(doc.next_serial(), token)
    with pytest.raises(StateConflictError):
        p.store_b.delete(stale.token)
    assert p.store_b.read().doc is not None
    p.store_b.delete(token)
    assert p.store_a.read() == p.store_b.read()
    assert p.store_a.read().doc is None
    p.store_a.write(first_state(), None)  # a later stack of the same name starts afresh


STATE_CHECKS = [
    check_read_empty_then_round_trip,
    check_delete_needs_the_current_version,
    check_create_refused_when_state_exists,
    check_zombie_writer_with_stale_token_is_refused,
    check_serial_must_increase_and_lineage_match,
]
RACE_CHECKS = [check_racing_writers_exactly_one_wins]
BASIC_LOCK_CHECKS = [
    check_second_locker_fails_naming_the_holder,
    check_unlock_needs_matching_id,
    check_waiter_gets_the_lock_when_released,
]
# Leased locks (DynamoDB, S3 lockfile, memory) can also be forced, expire and be refreshed;
# a file lock cannot, as it dies with its process instead.
LEASE_CHECKS = [
    check_force_unlock_by_id,
    check_expired_lock_is_taken_over,
    check_lock_inside_the_takeover_margin_is_not_taken_over,
    check_heartbeat_keeps_a_lock_alive,
]
