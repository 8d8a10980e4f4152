"""Seeded chaos: 20 applies mixing 5xx, 429, lost creates, lagging reads and crashes
(the in-process kill -9) end with no duplicate, no leaked pod and no lost volume.
bench/chaos.py runs more seeds."""

from __future__ import annotations

import pytest

from bench.chaos import run_chaos


@pytest.mark.parametrize("seed", [2, 3])
def test_chaos_applies_leave_no_duplicate_leak_or_lost_volume(seed: int) -> None:
    figures = run_chaos(seed, applies=20)
    assert figures.applies == 21 and figures.crashes > 0 and figures.faults > 20
    assert (figures.duplicates, figures.leaked, figures.lost_volumes) == (0, 0, 0)
    assert figures.converged
