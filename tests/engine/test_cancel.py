"""Signals end every wait; no RunPod request after them; odd Retry-After never crashes.
Health checks never follow a pod's redirect."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from gitops_runner.engine.clock import SystemClock
from gitops_runner.engine.readiness import health_ok
from gitops_runner.runpod.client import RunCancelledError, RunPodClient
from gitops_runner.runpod.errors import RateLimitWaitTooLongError


class Canned(requests.Session):
    """Answers from a list; records what was sent."""

    def __init__(self, answers: list[tuple[int, dict[str, str], bytes]]) -> None:
        super().__init__()
        self.answers, self.sent = answers, 0

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self.sent += 1
        status, headers, body = self.answers.pop(0) if self.answers else (200, {}, b"{}")
        resp = requests.Response()
        resp.status_code, resp._content = status, body
        resp.headers.update(headers)
        return resp


def _client(answers: list[tuple[int, dict[str, str], bytes]],
            cancel: threading.Event) -> tuple[RunPodClient, Canned]:
    session = Canned(answers)
    clock = SystemClock()
    return RunPodClient("http://127.0.0.1:9", "k", session=session, backoff_base=0.01,
                        sleep=lambda s: clock.sleep(s, cancel), cancel=cancel), session


def test_client_cancel_during_rate_limit_sleep_sends_nothing_more() -> None:
    cancel = threading.Event()
    client, session = _client([(429, {"Retry-After": "60"}, b"{}")], cancel)
    threading.Timer(0.2, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(RunCancelledError):
        client.list_pods()
    assert time.monotonic() - started < 5
    assert session.sent == 1


def test_client_cancelled_run_sends_no_request() -> None:
    cancel = threading.Event()
    cancel.set()
    client, session = _client([], cancel)
    with pytest.raises(RunCancelledError):
        client.create_pod({"name": "x"})
    assert session.sent == 0


@pytest.mark.parametrize("value", ["inf", "nan", "soon", "-5", "1e999"])
def test_client_odd_retry_after_is_a_clear_error_not_a_crash(value: str) -> None:
    # CONTRACT §10: a malformed Retry-After counts as too long to wait under the lock.
    client, session = _client([(429, {"Retry-After": value}, b"{}"),
                               (200, {}, b'{"pods": []}')], threading.Event())
    with pytest.raises(RateLimitWaitTooLongError, match="no readable Retry-After"):
        client.list_pods()
    assert session.sent == 1


@pytest.fixture
def redirecting() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/health":
                self.send_response(302)
                self.send_header("Location", "/elsewhere")
                self.end_headers()
            else:
                self.send_response(200)
                self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_health_check_does_not_follow_redirects(redirecting: str) -> None:
    assert health_ok(requests.Session(), redirecting + "/health") == (False, "HTTP 302")
    assert health_ok(requests.Session(), redirecting + "/elsewhere") == (True, "HTTP 200")
