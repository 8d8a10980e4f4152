"""The reference backend passes the whole suite, on every run, with no I/O."""

from __future__ import annotations

import pytest

from tests.fakes.memory import MemoryLocker, MemoryStore, Shared
from tests.state import contract


@pytest.fixture
def pair() -> contract.Pair:
    shared = Shared()
    return contract.Pair(MemoryStore(shared), MemoryStore(shared), MemoryLocker(shared),
                         MemoryLocker(shared))


@pytest.mark.parametrize("check", [
    contract.check_read_empty_then_round_trip,
    contract.check_create_refused_when_state_exists,
    contract.check_zombie_writer_with_stale_token_is_refused,
    contract.check_serial_must_increase_and_lineage_match,
    contract.check_racing_writers_exactly_one_wins,
    contract.check_second_locker_fails_naming_the_holder,
    contract.check_unlock_needs_matching_id,
    contract.check_waiter_gets_the_lock_when_released,
    contract.check_force_unlock_by_id,
    contract.check_expired_lock_is_taken_over,
    contract.check_heartbeat_keeps_a_lock_alive,
])
def test_memory_backend_conformance(pair: contract.Pair, check) -> None:  # type: ignore[no-untyped-def]
    check(pair)


def test_lock_ids_are_unique() -> None:
    contract.check_lock_ids_are_unique()
