from __future__ import annotations

import pytest

from gitops_runner.http_session import http_session


@pytest.mark.parametrize("url", ["http://127.0.0.1:4321", "http://localhost:8080/v2",
                                 "http://127.0.0.1:4321/proxy/{pod_id}/{port}",
                                 "http://[::1]:9000"])
def test_a_server_on_this_machine_is_reached_without_the_environments_proxy(url: str) -> None:
    assert http_session(url).trust_env is False


@pytest.mark.parametrize("url", ["https://rest.runpod.io/v1",
                                 "https://{pod_id}-{port}.proxy.runpod.net"])
def test_any_other_host_keeps_the_environments_settings(url: str) -> None:
    assert http_session(url).trust_env is True
