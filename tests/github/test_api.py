"""The GitHub client's retries: 5xx, 429 and secondary rate limits, honouring retry-after."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from gitops_runner.github.api import GitHubClient, GitHubError
from tests.fakes.github import Failure, GitHubState, fake_github


def client(api: str, waits: list[float]) -> GitHubClient:
    # rand=1.0: the jitter adds nothing, so backoff waits are exact.
    return GitHubClient(api, "t", sleep=waits.append, rand=lambda: 1.0)


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


def comment_posts(state: GitHubState) -> int:
    return sum(1 for m, p, _ in state.requests
               if m == "POST" and p.endswith("/issues/7/comments"))


@pytest.mark.parametrize("status", [500, 502, 503])
def test_api_never_sends_a_post_twice_after_a_server_error(status: int) -> None:
    """A 5xx may come after GitHub made the comment: a second POST would duplicate it."""
    with fake_github() as (api, state):
        state.failures = [Failure(status, headers={"retry-after": "1"})]
        waits: list[float] = []
        with pytest.raises(GitHubError, match=f"returned {status}.*not retried.*duplicate"):
            client(api, waits).post("/repos/o/r/issues/7/comments", {"body": "hi"})
        assert comment_posts(state) == 1
        assert waits == []
        assert state.comments == {}


def test_api_retries_a_post_the_rate_limit_refused() -> None:
    """A 429 means GitHub did not process the request, so sending it again is safe."""
    with fake_github() as (api, state):
        state.failures = [Failure(429, "Too Many Requests", {"retry-after": "2"})]
        waits: list[float] = []
        made = client(api, waits).post("/repos/o/r/issues/7/comments", {"body": "hi"})
        assert made["body"] == "hi"
        assert comment_posts(state) == 2
        assert waits == [2.0]
        assert len(state.comments) == 1


def test_api_backoff_has_jitter() -> None:
    with fake_github() as (api, state):
        state.failures = [Failure(502)] * 3
        state.runs["1"] = {"status": "completed"}
        waits: list[float] = []
        draws = iter([0.0, 0.5, 1.0])
        gh = GitHubClient(api, "t", sleep=waits.append, rand=lambda: next(draws))
        assert gh.get("/repos/o/r/actions/runs/1") == {"status": "completed"}
        assert waits == [1.0, 3.0, 8.0]  # between half and all of 2, 4, 8


def test_api_backoff_jitter_by_default_stays_in_bounds() -> None:
    with fake_github() as (api, state):
        state.failures = [Failure(502)] * 3
        state.runs["1"] = {"status": "completed"}
        waits: list[float] = []
        GitHubClient(api, "t", sleep=waits.append).get("/repos/o/r/actions/runs/1")
        assert [b / 2 <= w <= b for w, b in zip(waits, [2, 4, 8], strict=True)] == [True] * 3


def test_api_reads_an_http_date_retry_after() -> None:
    now = 1_800_000_000.0
    with fake_github() as (api, state):
        state.runs["1"] = {"status": "completed"}
        state.failures = [Failure(503, headers={"retry-after": formatdate(now + 30, usegmt=True)})]
        waits: list[float] = []
        gh = GitHubClient(api, "t", sleep=waits.append, rand=lambda: 1.0, now=lambda: now)
        assert gh.get("/repos/o/r/actions/runs/1") == {"status": "completed"}
        assert waits == [30.0]


def test_api_an_unreadable_retry_after_falls_back_to_backoff() -> None:
    with fake_github() as (api, state):
        state.runs["1"] = {"status": "completed"}
        state.failures = [Failure(503, headers={"retry-after": "soon"})]
        waits: list[float] = []
        assert client(api, waits).get("/repos/o/r/actions/runs/1") == {"status": "completed"}
        assert waits == [2.0]
