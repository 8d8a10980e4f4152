from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from gitops_runner.state.base import LockInfo, RunIdentity


def test_lockinfo_round_trip_and_terraform_keys() -> None:
    who = RunIdentity("octo", commit="abc", pull_request="4",
                      run_url="https://ghe.test/a/b/actions/runs/9")
    info = LockInfo.new("apply", "bucket/key", who, now=datetime(2026, 11, 27, tzinfo=UTC))
    assert LockInfo.from_json(info.to_json()) == info
    data = json.loads(info.to_json())
    assert {"ID", "Operation", "Who", "Created", "Expires", "Commit", "PullRequest",
            "RunURL"} <= set(data)
    assert data["RunURL"] == "https://ghe.test/a/b/actions/runs/9"
    assert data["Created"] == "2026-11-27T00:00:00Z" and data["Expires"] == "2026-11-27T00:10:00Z"
    assert info.expires_epoch - int(datetime(2026, 11, 27, tzinfo=UTC).timestamp()) == 600


def test_lockinfo_reads_terraform_written_lock() -> None:
    terraform = ('{"ID":"f2f6","Operation":"OperationTypeApply","Info":"","Who":"me@host",'
                 '"Version":"1.9.0","Created":"2026-11-27T00:00:00Z","Path":"b/k"}')
    info = LockInfo.from_json(terraform)
    assert (info.id, info.who, info.operation) == ("f2f6", "me@host", "OperationTypeApply")


@pytest.mark.parametrize("text", ["", "[]", "{}", '{"Operation": "x"}'])
def test_lockinfo_messy_inputs_raise(text: str) -> None:
    with pytest.raises((ValueError, KeyError, TypeError, AttributeError)):
        LockInfo.from_json(text)


def test_lockinfo_renewed_extends_expiry() -> None:
    info = LockInfo.new("apply", "p", RunIdentity.local(), now=datetime(2026, 1, 1, tzinfo=UTC))
    later = info.renewed(now=datetime(2026, 1, 1, 0, 5, tzinfo=UTC))
    assert later.id == info.id and later.expires_epoch - info.expires_epoch == 300


def test_lockinfo_without_expiry_never_expires() -> None:
    from gitops_runner.state.base import NEVER

    assert LockInfo.from_json('{"ID": "x"}').expires_epoch == NEVER
