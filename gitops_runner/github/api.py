"""GitHub REST over requests: pagination via Link, the API version header, retries on
5xx and rate limits, and errors that say what the token probably lacks. Knows nothing
about RunPod. The base URL comes from GITHUB_API_URL, so GHES works the same way."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

from gitops_runner.errors import GitopsError

API_VERSION = "2022-11-28"
# GitHub's REST docs ("Best practices for using the REST API", "Rate limits for the REST
# API"): on a secondary rate limit, wait `retry-after` seconds if sent; if
# x-ratelimit-remaining is 0, wait until x-ratelimit-reset; otherwise wait at least a minute,
# then back off exponentially. 5xx are retried the same way.
_SECONDARY = re.compile(r"secondary rate limit|abuse detection", re.IGNORECASE)
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class GitHubError(GitopsError):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GitHubClient:
    def __init__(self, api_url: str, token: str, session: requests.Session | None = None,
                 timeout: float = 30.0, sleep: Callable[[float], object] = time.sleep,
                 attempts: int = 4, max_wait: float = 120.0) -> None:
        self.base = api_url.rstrip("/")
        self._token = token
        self._session = session or requests.Session()
        self._timeout = timeout
        self._sleep = sleep
        self._attempts = max(1, attempts)
        self._max_wait = max_wait  # the longest single wait; longer ones are not waited for

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
                if last:
                    raise GitHubError(f"GitHub {method} {path}: {type(exc).__name__}") from None
                self._sleep(2.0 ** attempt)
                continue
            if resp.status_code < 400:
                return resp
            wait = self._retry_wait(resp, attempt)
            if last or wait is None or wait > self._max_wait:
                raise GitHubError(self._explain(method, path, resp), resp.status_code)
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _retry_wait(resp: requests.Response, attempt: int) -> float | None:
        """Seconds to wait before trying again, or None when trying again cannot help."""
        status = resp.status_code
        retry_after = resp.headers.get("retry-after", "")
        if status >= 500 or status == 429 or (status == 403 and retry_after):
            if retry_after.strip().isdigit():
                return float(retry_after)
            return 2.0 ** attempt
        if status == 403 and resp.headers.get("x-ratelimit-remaining") == "0":
            reset = resp.headers.get("x-ratelimit-reset", "")
            return max(1.0, float(reset) - time.time()) if reset.isdigit() else None
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
