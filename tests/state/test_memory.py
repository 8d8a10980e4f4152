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


@pytest.mark.parametrize("check", contract.STATE_CHECKS + contract.RACE_CHECKS
                         + contract.BASIC_LOCK_CHECKS + contract.LEASE_CHECKS)
def test_memory_backend_conformance(pair: contract.Pair, check) -> None:  # type: ignore[no-untyped-def]
    check(pair)


def test_lock_ids_are_unique() -> None:
    contract.check_lock_ids_are_unique()
