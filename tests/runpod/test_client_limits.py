"""Rate-limit waits are bounded, create answers are classified the way RunPod's spec
asks, and odd success answers are errors, never a crash or a pod id ""."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests_mock

from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import (
    AuthError,
    CandidateRejectedError,
    CapacityError,
    CreateOutcomeUnknownError,
    ForbiddenError,
    InvalidRequestError,
    RateLimitWaitTooLongError,
    RunPodError,
    TransientError,
    placement_error,
)
from tests.runpod.test_client import BASE, CAPACITY, KEY, Sleeps, problem

NOW = 1_795_000_000.0  # 2026-11-17T...Z; only used to print the reset time


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def rp(sleeps: Sleeps) -> RunPodClient:
    return RunPodClient(BASE, KEY, sleep=sleeps.sleep, clock=sleeps.clock, max_retries=4,
                        max_retry_seconds=60, backoff_base=0.1, wall=lambda: NOW)


def limited(retry_after: str, window: str = "hour") -> dict[str, object]:
    return {**problem(429, f"rate limit exceeded for the {window} window"),
            "headers": {"Retry-After": retry_after,
                        "RateLimit": f'"minute";r=50;t=10, "{window}";r=0;t={retry_after}'}}


@pytest.mark.parametrize("retry_after, window", [("3600", "hour"), ("86400", "day")])
def test_client_429_longer_than_max_wait_fails_at_once(rp: RunPodClient, sleeps: Sleeps,
                                                       retry_after: str, window: str) -> None:
    with requests_mock.Mocker() as m:
        m.get(f"{BASE}/v2/pods", **limited(retry_after, window))
        with pytest.raises(RateLimitWaitTooLongError) as caught:
            rp.list_pods()
        assert m.call_count == 1
    assert sleeps.calls == []
    error = caught.value
    assert error.window == window and error.wait == float(retry_after)
    assert error.reset_at is not None and error.reset_at.timestamp() == NOW + float(retry_after)
    assert f"for the {window} window" in str(error) and "--max-wait" in str(error)
    assert error.reset_at.strftime("%Y-%m-%dT%H:%M:%SZ") in str(error)
    assert not error.retryable


@pytest.mark.parametrize("value", ["soon", "Wed, 21 Oct 2026 07:28:00 GMT", "-5", ""])
def test_client_malformed_retry_after_counts_as_too_long(rp: RunPodClient, value: str) -> None:
    with requests_mock.Mocker() as m:
        m.get(f"{BASE}/v2/pods", **{**problem(429, "rate limit exceeded for the minute window"),
                                    "headers": {"Retry-After": value}})
        with pytest.raises(RateLimitWaitTooLongError, match="reset time is unknown"):
            rp.list_pods()


def test_client_max_wait_is_a_parameter(sleeps: Sleeps) -> None:
    patient = RunPodClient(BASE, KEY, sleep=sleeps.sleep, clock=sleeps.clock, max_wait=4000,
                           max_retry_seconds=10_000)
    with requests_mock.Mocker() as m:
        m.get(f"{BASE}/v2/pods", [limited("3600"), {"json": {"pods": []}}])
        assert patient.list_pods() == []
    assert sleeps.calls == [3600.0]


@pytest.mark.parametrize("detail", [
    CAPACITY, "Could not find any machine for this GPU type right now",
    "mounts.persistent and mounts.network are mutually exclusive"])
def test_client_any_400_on_create_means_try_the_next_candidate(rp: RunPodClient,
                                                               detail: str) -> None:
    with requests_mock.Mocker() as m:
        m.post(f"{BASE}/v2/pods", **problem(400, detail))
        with pytest.raises(CapacityError) as caught:
            rp.create_pod({"name": "x"})
    assert detail in str(caught.value)


def test_client_400_on_patch_is_still_an_invalid_request(rp: RunPodClient) -> None:
    with requests_mock.Mocker() as m:
        m.patch(f"{BASE}/v2/pods/p", **problem(400, "network: [] is not allowed"))
        with pytest.raises(InvalidRequestError):
            rp.update_pod("p", {"mounts": {"network": []}})


def test_client_403_is_a_permission_error_not_capacity(rp: RunPodClient) -> None:
    with requests_mock.Mocker() as m:
        m.post(f"{BASE}/v2/pods", **problem(403, "access denied"))
        with pytest.raises(ForbiddenError) as caught:
            rp.create_pod({"name": "x"})
    assert not isinstance(caught.value, CapacityError) and not caught.value.retryable
    assert "read-only or restricted key" in str(caught.value)


def test_placement_error_summaries() -> None:
    forbidden = ForbiddenError("x", 403, "access denied")
    full = CapacityError("x", 400, CAPACITY)
    odd = CandidateRejectedError("x", 400, "mounts are mutually exclusive")
    all_403 = placement_error("api", [("L4", forbidden), ("A40", forbidden)])
    assert isinstance(all_403, AuthError) and not all_403.retryable
    assert "lacks permission" in str(all_403)
    no_capacity = placement_error("api", [("L4", full), ("A40", full)])
    assert type(no_capacity) is CapacityError and no_capacity.retryable
    mixed = placement_error("api", [("L4", full), ("A40", odd)])
    assert isinstance(mixed, CandidateRejectedError) and not mixed.retryable
    assert "mounts are mutually exclusive" in str(mixed) and "L4, A40" in str(mixed)
    assert isinstance(placement_error("api", []), RunPodError)
    # The catalog shows no stock for any candidate: it was stock, whatever the wording.
    sold = CandidateRejectedError("x", 400, "Placement failed: sold out")
    stock = placement_error("api", [("L4", full), ("A40", sold)], no_stock=True)
    assert type(stock) is CapacityError and stock.retryable
    assert "this was stock, not the request" in str(stock) and "sold out" in str(stock)
    assert not placement_error("api", [("L4", forbidden)], no_stock=True).retryable


def test_client_catalog_with_availability_is_one_request(rp: RunPodClient) -> None:
    with requests_mock.Mocker() as m:
        m.get(f"{BASE}/v2/catalog/gpus", json={"gpus": [{"id": "NVIDIA L4"}, "junk"]})
        assert rp.list_gpu_types(availability=True, cloud="SECURE") == [{"id": "NVIDIA L4"}]
        assert rp.list_gpu_types() == [{"id": "NVIDIA L4"}]
        assert [r.qs for r in m.request_history] == [
            {"include": ["availability"], "product": ["pod"], "cloud": ["secure"]}, {}]


def test_client_list_follows_next_cursor(rp: RunPodClient) -> None:
    with requests_mock.Mocker() as m:
        m.get(f"{BASE}/v2/pods", [{"json": {"pods": [{"id": "a"}], "nextCursor": "c1"}},
                                  {"json": {"pods": [{"id": "b"}], "nextCursor": None}}])
        assert [p["id"] for p in rp.list_pods()] == ["a", "b"]
        assert m.request_history[1].qs == {"cursor": ["c1"]}


def test_client_list_repeated_cursor_is_an_error_not_a_hang(rp: RunPodClient) -> None:
    with requests_mock.Mocker() as m:
        m.get(f"{BASE}/v2/pods", json={"pods": [], "nextCursor": "same"})
        with pytest.raises(TransientError, match="twice"):
            rp.list_pods()


@pytest.mark.parametrize("answer", [{"status_code": 201, "text": ""},
                                    {"status_code": 200, "json": {}},
                                    {"status_code": 201, "json": {"id": ""}}])
def test_client_create_success_without_a_pod_is_outcome_unknown(
        rp: RunPodClient, answer: dict[str, object]) -> None:
    with requests_mock.Mocker() as m:
        m.post(f"{BASE}/v2/pods", **answer)
        with pytest.raises(CreateOutcomeUnknownError, match="without a pod id"):
            rp.create_pod({"name": "x"})


class _SlowSse(BaseHTTPRequestHandler):
    accept: list[str] = []

    def log_message(self, *args: object) -> None:
        return

    def do_GET(self) -> None:
        _SlowSse.accept.append(self.headers.get("Accept", ""))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        threading.Event().wait(0.6)  # RunPod attaching to the container takes a while
        self.wfile.write(b'data: {"source": "container", "line": "late", "ts": "t"}\n\n')
        self.wfile.flush()
        threading.Event().wait(5.0)  # then quiet, with the connection left open


@pytest.fixture
def slow_sse() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowSse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_client_logs_wait_for_a_slow_stream_and_ask_for_sse(slow_sse: str) -> None:
    rp = RunPodClient(slow_sse, KEY)
    started = time.monotonic()
    lines = [e["line"] for e in rp.stream_logs("p", idle_seconds=0.2, first_event_seconds=5)]
    assert lines == ["late"]
    assert time.monotonic() - started < 3, "after the first event the idle cut-off applies"
    assert _SlowSse.accept == ["text/event-stream"]


def test_client_does_not_pace_for_a_window_that_resets_after_max_wait(
        rp: RunPodClient, sleeps: Sleeps) -> None:
    with requests_mock.Mocker() as m:
        m.get(f"{BASE}/v2/pods", [
            {"json": {"pods": []}, "headers": {"RateLimit": '"hour";r=0;t=3000'}},
            limited("3000")])
        rp.list_pods()
        with pytest.raises(RateLimitWaitTooLongError):
            rp.list_pods()
    assert sleeps.calls == []
