"""GitHub REST over requests: pagination via Link, the API version header, retries on
5xx and rate limits, and errors that say what the token probably lacks. Knows nothing
about RunPod. The base URL comes from GITHUB_API_URL, so GHES works the same way."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from gitops_runner.errors import GitopsError
from gitops_runner.http_session import http_session

API_VERSION = "2022-11-28"
# GitHub's REST docs ("Best practices for using the REST API", "Rate limits for the REST
# API"): on a secondary rate limit, wait `retry-after` seconds if sent; if
# x-ratelimit-remaining is 0, wait until x-ratelimit-reset; otherwise wait at least a minute,
# then back off exponentially. 5xx are retried the same way.
_SECONDARY = re.compile(r"secondary rate limit|abuse detection", re.IGNORECASE)
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
# RFC 9110 §9.2.2: these may be repeated without a second effect. A POST (a comment, an
# issue) that got a 5xx or no answer may still have happened, so it is never sent twice;
# a rate-limit refusal (429, secondary limit) means it was not processed, so it may be.
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})


_NOT_RETRIED = (" (not retried: the request may have taken effect, and sending it again "
                "could duplicate a comment or issue; the next run reads what exists and "
                "reconciles)")


class GitHubError(GitopsError):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GitHubClient:
    def __init__(self, api_url: str, token: str, session: requests.Session | None = None,
                 timeout: float = 30.0, sleep: Callable[[float], object] = time.sleep,
                 attempts: int = 4, max_wait: float = 120.0,
                 rand: Callable[[], float] = random.random,
                 now: Callable[[], float] = time.time) -> None:
        self.base = api_url.rstrip("/")
        self._token = token
        self._session = session or http_session(api_url)
        self._timeout = timeout
        self._sleep = sleep
        self._attempts = max(1, attempts)
        self._max_wait = max_wait  # the longest single wait; longer ones are not waited for
        self._rand = rand  # jitter, so runs that failed together do not retry together
        self._now = now

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION,
                   "User-Agent": "gitops-runner"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def request(self, method: str, path: str, json: Any = None,
                params: dict[str, Any] | None = None) -> requests.Response:
        url = path if path.startswith("http") else f"{self.base}{path}"
        for attempt in range(1, self._attempts + 1):
            last = attempt == self._attempts
            try:
                resp = self._session.request(method, url, json=json, params=params,
                                             headers=self._headers(), timeout=self._timeout)
            except requests.RequestException as exc:
                # Only a failed connect proves a POST was never received.
                safe = method in _IDEMPOTENT or isinstance(exc, requests.ConnectTimeout)
                if last or not safe:
                    raise GitHubError(f"GitHub {method} {path}: {type(exc).__name__}"
                                      + ("" if safe else _NOT_RETRIED)) from None
                self._sleep(self._backoff(attempt))
                continue
            if resp.status_code < 400:
                return resp
            wait = self._retry_wait(resp, attempt)
            if wait is not None and method not in _IDEMPOTENT and resp.status_code >= 500:
                raise GitHubError(self._explain(method, path, resp) + _NOT_RETRIED,
                                  resp.status_code)
            if last or wait is None or wait > self._max_wait:
                raise GitHubError(self._explain(method, path, resp), resp.status_code)
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with "equal jitter": between half and all of 2**attempt."""
        base = 2.0 ** attempt
        return base / 2 + base / 2 * self._rand()

    def _retry_after(self, value: str) -> float | None:
        """Retry-After is delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when: datetime = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        return max(0.0, when.timestamp() - self._now())

    def _retry_wait(self, resp: requests.Response, attempt: int) -> float | None:
        """Seconds to wait before trying again, or None when trying again cannot help."""
        status = resp.status_code
        retry_after = resp.headers.get("retry-after", "")
        if status >= 500 or status == 429 or (status == 403 and retry_after):
            told = self._retry_after(retry_after) if retry_after else None
            return told if told is not None else self._backoff(attempt)
        if status == 403 and resp.headers.get("x-ratelimit-remaining") == "0":
            reset = resp.headers.get("x-ratelimit-reset", "")
            return max(1.0, float(reset) - self._now()) if reset.isdigit() else None
        if status == 403 and _SECONDARY.search(resp.text or ""):
            return 60.0 * attempt
        return None

    @staticmethod
    def _explain(method: str, path: str, resp: requests.Response) -> str:
        try:
            detail = str(resp.json().get("message", ""))
        except ValueError:
            detail = ""
        said = f"GitHub {method} {path} returned {resp.status_code}" + (
            f": {detail}" if detail else "")
        if resp.status_code == 403 and resp.headers.get("X-RateLimit-Remaining") == "0":
            return said + " (API rate limit exhausted; try again after it resets)"
        if resp.status_code in (401, 403):
            return said + (" (the token lacks permission: pull requests from forks get a "
                           "read-only token; grant pull-requests/issues: write)")
        if resp.status_code == 404:
            return said + " (not found, or the token cannot see it)"
        return said

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params).json()

    def paginate(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        url: str | None = path
        query = {"per_page": 100, **(params or {})}
        while url:
            resp = self.request("GET", url, params=query)
            query = {}  # the next link carries its own query
            yield from resp.json()
            match = _NEXT.search(resp.headers.get("Link", ""))
            url = match.group(1) if match else None

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, json=body).json()

    def patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, json=body).json()


def run_finished(client: GitHubClient, run_url: str) -> tuple[bool, str]:
    """Ask GitHub whether the run in a lock's RunURL has finished."""
    match = re.search(r"/([^/]+)/([^/]+)/actions/runs/(\d+)", run_url)
    if not match:
        return False, f"cannot tell which run {run_url!r} is"
    owner, repo, run_id = match.groups()
    run = client.get(f"/repos/{owner}/{repo}/actions/runs/{run_id}")
    status = str(run.get("status", "unknown"))
    return status == "completed", f"run {run_id} is {status}"
