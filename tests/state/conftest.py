from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.state import servers


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with servers.moto_server() as url:
        yield url


@pytest.fixture(scope="session")
def dynamodb_local_endpoint() -> Iterator[str]:
    with servers.dynamodb_local() as url:
        yield url


@pytest.fixture(scope="session")
def seaweedfs_endpoint() -> Iterator[str]:
    with servers.seaweedfs() as url:
        yield url
