"""The conformance suite on S3 state, the DynamoDB lock and the S3 lockfile, over HTTP:
moto's server for speed, and the real servers (SeaweedFS, DynamoDB Local)."""

from __future__ import annotations

import functools
from typing import Any

import boto3
import pytest

from gitops_runner.state.dynamodb import DynamoLocker
from gitops_runner.state.s3 import S3Locker, S3StateStore
from tests.state import contract, servers

STATE_CHECKS = contract.STATE_CHECKS
LOCK_CHECKS = contract.BASIC_LOCK_CHECKS + contract.LEASE_CHECKS


# One client per server and service, shared by the tests (a boto3 client is thread-safe
# and keeps no state between calls): building one costs more than most checks.
@functools.cache
def s3_client(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@functools.cache
def dynamodb_client(endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def new_bucket(s3: Any, versioned: bool = True) -> str:
    name = servers.unique("state-bucket")
    s3.create_bucket(Bucket=name)
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def new_table(db: Any) -> str:
    name = servers.unique("locks")
    db.create_table(TableName=name, KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                    BillingMode="PAY_PER_REQUEST")
    db.get_waiter("table_exists").wait(TableName=name)
    return name


def s3_pair(s3_endpoint: str, db_endpoint: str | None) -> contract.Pair:
    s3 = s3_client(s3_endpoint)
    bucket = new_bucket(s3)
    key = "gitops-runner/demo/prod.json"

    def store() -> S3StateStore:
        return S3StateStore(s3_client(s3_endpoint), bucket, key)

    if db_endpoint is None:
        lockers = [S3Locker(s3_client(s3_endpoint), bucket, key, contract.STACK, 0.05)
                   for _ in range(2)]
    else:
        table = new_table(dynamodb_client(db_endpoint))
        lockers = [DynamoLocker(dynamodb_client(db_endpoint), table, f"{bucket}/{key}",
                                contract.STACK, 0.05) for _ in range(2)]
    return contract.Pair(store(), store(), lockers[0], lockers[1])


@pytest.mark.parametrize("check", STATE_CHECKS + LOCK_CHECKS)
def test_moto_s3_state_with_dynamodb_lock(moto_endpoint: str, check) -> None:  # type: ignore[no-untyped-def]
    check(s3_pair(moto_endpoint, moto_endpoint))


@pytest.mark.parametrize("check", LOCK_CHECKS)
def test_moto_s3_lockfile(moto_endpoint: str, check) -> None:  # type: ignore[no-untyped-def]
    check(s3_pair(moto_endpoint, None))


@pytest.mark.slow
@pytest.mark.parametrize("check", STATE_CHECKS + [contract.check_racing_writers_exactly_one_wins])
def test_seaweedfs_s3_state(seaweedfs_endpoint: str, check) -> None:  # type: ignore[no-untyped-def]
    check(s3_pair(seaweedfs_endpoint, None))


@pytest.mark.slow
@pytest.mark.parametrize("check", LOCK_CHECKS)
def test_seaweedfs_s3_lockfile(seaweedfs_endpoint: str, check) -> None:  # type: ignore[no-untyped-def]
    check(s3_pair(seaweedfs_endpoint, None))


@pytest.mark.slow
@pytest.mark.parametrize("check", LOCK_CHECKS)
def test_dynamodb_local_lock(seaweedfs_endpoint: str, dynamodb_local_endpoint: str,
                             check) -> None:  # type: ignore[no-untyped-def]
    check(s3_pair(seaweedfs_endpoint, dynamodb_local_endpoint))


@pytest.mark.slow
def test_dynamodb_local_racing_lockers_exactly_one_wins(seaweedfs_endpoint: str,
                                                        dynamodb_local_endpoint: str) -> None:
    import threading
    import time

    pair = s3_pair(seaweedfs_endpoint, dynamodb_local_endpoint)
    table = pair.locker_a.table  # type: ignore[attr-defined]
    lock_id = pair.locker_a.lock_id  # type: ignore[attr-defined]
    lockers = [DynamoLocker(dynamodb_client(dynamodb_local_endpoint), table, lock_id,
                            contract.STACK, 0.05) for _ in range(8)]
    start = threading.Barrier(8)
    winners: list[int] = []

    def race(i: int) -> None:
        start.wait()
        try:
            lockers[i].lock(contract.info(f"racer-{i}"), deadline=time.time())
            winners.append(i)
        except Exception:  # noqa: BLE001 - losing is the expected outcome for 7 of 8
            pass

    threads = [threading.Thread(target=race, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1


def test_s3_store_warns_without_versioning(moto_endpoint: str) -> None:
    s3 = s3_client(moto_endpoint)
    bucket = new_bucket(s3, versioned=False)
    warnings: list[str] = []
    S3StateStore(s3, bucket, "k.json", warn=warnings.append).read()
    assert warnings == [f"warning: bucket {bucket} has no versioning; earlier copies of the "
                        "state cannot be restored. Enable versioning on it"]


def test_s3_store_encrypts_with_kms_key_when_given(moto_endpoint: str) -> None:
    s3 = s3_client(moto_endpoint)
    bucket = new_bucket(s3)
    kms = boto3.client("kms", endpoint_url=moto_endpoint, region_name="us-east-1")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    S3StateStore(s3, bucket, "k.json", kms_key_id=key_id).write(contract.first_state(), None)
    head = s3.head_object(Bucket=bucket, Key="k.json")
    assert head["ServerSideEncryption"] == "aws:kms"
    S3StateStore(s3, bucket, "d.json").write(contract.first_state(), None)
    assert s3.head_object(Bucket=bucket, Key="d.json")["ServerSideEncryption"] == "AES256"


def test_s3_store_missing_bucket_is_a_clear_error(moto_endpoint: str) -> None:
    from gitops_runner.errors import GitopsError

    with pytest.raises(GitopsError, match="NoSuchBucket.*create the bucket or fix state.bucket"):
        S3StateStore(s3_client(moto_endpoint), "no-such-bucket-x", "k.json").read()
