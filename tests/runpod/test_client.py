from __future__ import annotations

import pytest
import requests
import requests_mock

from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import (
    AuthError,
    CapacityError,
    CreateOutcomeUnknownError,
    InsufficientBalanceError,
    InvalidRequestError,
    InvalidTransitionError,
    NotFoundError,
    RateLimitedError,
    TransientError,
)
from gitops_runner.runpod.ratelimit import pacing_delay, parse_ratelimit

BASE = "https://api.runpod.test"
KEY = "rpa_SECRETKEY1234567890"
CAPACITY = ("There are no longer any instances available with the requested "
            "specifications. Please refresh and try again.")


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def rp(sleeps: Sleeps) -> RunPodClient:
    return RunPodClient(BASE, KEY, sleep=sleeps.sleep, clock=sleeps.clock, max_retries=4,
                        max_retry_seconds=60, backoff_base=0.1)


def problem(status: int, detail: str) -> dict[str, object]:
    return {"status_code": status, "json": {"title": "x", "status": status, "detail": detail},
            "headers": {"Content-Type": "application/problem+json"}}


@pytest.mark.parametrize("status, detail, error", [
    (401, "missing bearer token", AuthError),
    (403, "forbidden", AuthError),
    (402, "insufficient balance", InsufficientBalanceError),
    (404, "pod not found", NotFoundError),
    (409, "cannot stop", InvalidTransitionError),
    (422, "Request validation failed.", InvalidRequestError),
    (400, CAPACITY, CapacityError),
    (400, "not enough free GPUs on host", CapacityError),
    (400, "mounts.persistent and mounts.network are mutually exclusive", InvalidRequestError),
])
def test_client_error_status_maps_to_typed_error(rp: RunPodClient, status: int, detail: str,
                                                 error: type[Exception]) -> None:
    with requests_mock.Mocker() as m:
        m.get(f"{BASE}/v2/pods/p1", **problem(status, detail))
        with pytest.raises(error) as caught:
            rp.get_pod("p1")
    assert detail in str(caught.value)
    assert KEY not in str(caught.value)
    assert m.call_count == 1, "non-retryable errors are not retried"


def test_client_422_lists_runpod_errors(rp: RunPodClient) -> None:
    with requests_mock.Mocker() as m:
        m.post(f"{BASE}/v2/pods", status_code=422, json={
            "title": "Unprocessable Entity", "status": 422, "detail": "Request validation failed.",
            "errors": ["$: additional properties 'dataCenterId' not allowed"]})
        with pytest.raises(InvalidRequestError) as caught:
            rp.create_pod({"name": "x"})
    assert "additional properties 'dataCenterId' not allowed" in str(caught.value)


def test_client_sends_key_only_as_bearer_header(rp: RunPodClient) -> None:
    with requests_mock.Mocker() as m:
        m.get(f"{BASE}/v2/pods", json={"pods": []})
        rp.list_pods()
        request = m.request_history[0]
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert KEY not in request.url


def test_client_429_waits_retry_after_then_succeeds(rp: RunPodClient, sleeps: Sleeps) -> None:
    with requests_mock.Mocker() as m:
        m.get(f"{BASE}/v2/pods", [
            {**problem(429, "rate limit exceeded for the minute window"),
             "headers": {"Retry-After": "7"}},
            {"json": {"pods": [{"id": "a"}]}},
        ])
        assert rp.list_pods() == [{"id": "a"}]
    assert sleeps.calls == [7.0]


def test_client_429_gives_up_after_max_retries(rp: RunPodClient) -> None:
    with requests_mock.Mocker() as m:
        m.get(f"{BASE}/v2/pods", **{**problem(429, "slow down"), "headers": {"Retry-After": "1"}})
        with pytest.raises(RateLimitedError):
            rp.list_pods()
        assert m.call_count == 5


def test_client_5xx_backs_off_with_jitter_and_is_bounded(rp: RunPodClient,
                                                         sleeps: Sleeps) -> None:
    with requests_mock.Mocker() as m:
        m.get(f"{BASE}/v2/pods/p", **problem(503, "unavailable"))
        with pytest.raises(TransientError):
            rp.get_pod("p")
        assert m.call_count == 5
    assert len(sleeps.calls) == 4
    assert all(0 <= s <= 0.1 * 2 ** i for i, s in enumerate(sleeps.calls))


def test_client_connection_error_is_retried(rp: RunPodClient) -> None:
    with requests_mock.Mocker() as m:
        m.get(f"{BASE}/v2/pods", [{"exc": requests.exceptions.ConnectTimeout},
                                  {"json": {"pods": []}}])
        assert rp.list_pods() == []


def test_client_create_5xx_is_not_retried_and_says_outcome_unknown(rp: RunPodClient) -> None:
    with requests_mock.Mocker() as m:
        m.post(f"{BASE}/v2/pods", **problem(500, "internal error"))
        with pytest.raises(CreateOutcomeUnknownError) as caught:
            rp.create_pod({"name": "x"})
        assert m.call_count == 1
    assert "may or may not have been created" in str(caught.value)


def test_client_create_timeout_is_not_retried(rp: RunPodClient) -> None:
    with requests_mock.Mocker() as m:
        m.post(f"{BASE}/v2/pods", exc=requests.exceptions.ReadTimeout)
        with pytest.raises(CreateOutcomeUnknownError):
            rp.create_pod({"name": "x"})
        assert m.call_count == 1


def test_client_html_error_body_still_maps_by_status(rp: RunPodClient) -> None:
    with requests_mock.Mocker() as m:
        m.get(f"{BASE}/v2/pods/p", status_code=404, text="<html>nope</html>")
        with pytest.raises(NotFoundError):
            rp.get_pod("p")


def test_client_list_without_envelope_is_a_clear_error(rp: RunPodClient) -> None:
    with requests_mock.Mocker() as m:
        m.get(f"{BASE}/v2/pods", json=[{"id": "a"}])
        with pytest.raises(TransientError, match="no 'pods' list"):
            rp.list_pods()


def test_client_tolerates_unknown_fields_and_statuses(rp: RunPodClient) -> None:
    with requests_mock.Mocker() as m:
        m.get(f"{BASE}/v2/pods", json={"pods": [{"id": "a", "status": "HIBERNATING",
                                                 "brandNew": {"x": 1}}], "cursor": None})
        assert rp.list_pods()[0]["status"] == "HIBERNATING"


def test_client_paces_itself_when_the_window_runs_low(rp: RunPodClient, sleeps: Sleeps) -> None:
    with requests_mock.Mocker() as m:
        m.get(f"{BASE}/v2/pods", json={"pods": []},
              headers={"RateLimit": '"minute";r=0;t=12, "hour";r=100;t=1800'})
        rp.list_pods()
        rp.list_pods()
    assert sleeps.calls == [12.0]


def test_ratelimit_header_parsing() -> None:
    header = '"minute";r=3;t=12, "hour";r=2800;t=1812, "day";r=49500;t=45012'
    assert parse_ratelimit(header) == {"minute": (3, 12.0), "hour": (2800, 1812.0),
                                       "day": (49500, 45012.0)}
    assert pacing_delay(header) == 3.0
    assert pacing_delay('"minute";r=50;t=12') == 0.0
    assert pacing_delay("garbage") == 0.0
