"""The GitHub client's retries: 5xx, 429 and secondary rate limits, honouring retry-after."""

from __future__ import annotations

import pytest

from gitops_runner.github.api import GitHubClient, GitHubError
from tests.fakes.github import Failure, fake_github


def client(api: str, waits: list[float]) -> GitHubClient:
    return GitHubClient(api, "t", sleep=waits.append)


@pytest.mark.parametrize(("failure", "wait"), [
    (Failure(502), 2.0),
    (Failure(503, headers={"retry-after": "7"}), 7.0),
    (Failure(429, "Too Many Requests", {"retry-after": "3"}), 3.0),
    (Failure(403, "You have exceeded a secondary rate limit", {"retry-after": "5"}), 5.0),
    (Failure(403, "You have exceeded a secondary rate limit. Please wait."), 60.0),
])
def test_api_retries_transient_answers(failure: Failure, wait: float) -> None:
    with fake_github() as (api, state):
        state.runs["1"] = {"status": "completed"}
        state.failures = [failure]
        waits: list[float] = []
        assert client(api, waits).get("/repos/o/r/actions/runs/1") == {"status": "completed"}
        assert waits == [wait]


def test_api_does_not_retry_a_permission_error() -> None:
    with fake_github() as (api, state):
        state.failures = [Failure(403, "Resource not accessible by integration")]
        waits: list[float] = []
        with pytest.raises(GitHubError, match="lacks permission"):
            client(api, waits).get("/repos/o/r/actions/runs/1")
        assert waits == []


def test_api_gives_up_after_its_attempts() -> None:
    with fake_github() as (api, state):
        state.failures = [Failure(502)] * 4
        waits: list[float] = []
        with pytest.raises(GitHubError, match="returned 502"):
            client(api, waits).get("/repos/o/r/actions/runs/1")
        assert waits == [2.0, 4.0, 8.0]


def test_api_does_not_wait_longer_than_its_limit() -> None:
    with fake_github() as (api, state):
        state.failures = [Failure(429, headers={"retry-after": "3600"})]
        waits: list[float] = []
        with pytest.raises(GitHubError, match="429"):
            client(api, waits).get("/repos/o/r/actions/runs/1")
        assert waits == []


def test_api_sends_the_version_header() -> None:
    with fake_github() as (api, state):
        state.runs["1"] = {"status": "queued"}
        # The fake answers 400 without X-GitHub-Api-Version: 2022-11-28.
        assert client(api, []).get("/repos/o/r/actions/runs/1")["status"] == "queued"
