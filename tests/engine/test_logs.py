"""logs --follow: reconnects with backoff when the stream closes, resumes from the last
timestamp without printing a line twice, gives up after repeated errors, and ends at
once on cancel."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from gitops_runner.engine.logs import follow_logs
from gitops_runner.errors import GitopsError
from gitops_runner.runpod.errors import TransientError


class ScriptedLogs:
    """A RunPod client whose log stream plays one script per connection."""

    def __init__(self, scripts: list[list[Any]], cancel: threading.Event) -> None:
        self.scripts, self.cancel = scripts, cancel
        self.calls: list[tuple[int, str | None]] = []

    def stream_logs(self, pod_id: str, tail: int = 100, follow: bool = False,
                    since: str | None = None) -> Iterator[dict[str, Any]]:
        self.calls.append((tail, since))
        if not self.scripts:
            self.cancel.set()  # the user presses ^C once the script is played
            return
        for item in self.scripts.pop(0):
            if isinstance(item, Exception):
                raise item
            yield {"ts": item[0], "line": item[1]}


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def time(self) -> float:
        return 0.0

    def monotonic(self) -> float:
        return 0.0

    def sleep(self, seconds: float, cancel: threading.Event | None = None) -> bool:
        self.waits.append(seconds)
        return bool(cancel and cancel.is_set())


def _follow(scripts: list[list[Any]], max_failures: int = 8) -> tuple[list[str], ScriptedLogs,
                                                                      Sleeps, bool]:
    cancel = threading.Event()
    client, clock, printed = ScriptedLogs(scripts, cancel), Sleeps(), []
    interrupted = follow_logs(client, "pod1", 2, printed.append, clock, cancel,  # type: ignore[arg-type]
                              lambda _line: None, max_failures=max_failures)
    return printed, client, clock, interrupted


T1, T2, T3 = "2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z", "2026-01-01T00:00:03Z"


def test_logs_follow_reconnects_and_resumes_without_duplicates() -> None:
    printed, client, _, interrupted = _follow([
        [(T1, "boot"), (T2, "a"), (T2, "b")],
        [(T2, "a"), (T2, "b"), (T2, "c"), (T3, "d")],  # since is inclusive: a, b come again
    ])
    assert printed == [f"{T1} boot", f"{T2} a", f"{T2} b", f"{T2} c", f"{T3} d"]
    assert client.calls[0] == (2, None)
    assert client.calls[1] == (5000, T2)
    assert client.calls[2] == (5000, T3)
    assert interrupted


def test_logs_follow_backs_off_and_resets_after_a_new_line() -> None:
    _, _, clock, _ = _follow([[], [], [(T1, "x")], []])
    assert clock.waits[:4] == [1.0, 2.0, 1.0, 2.0]


def test_logs_follow_backoff_is_capped() -> None:
    _, _, clock, _ = _follow([[]] * 8)
    assert max(clock.waits) == 30.0


def test_logs_follow_gives_up_after_repeated_errors() -> None:
    with pytest.raises(GitopsError, match="failed 3 times in a row"):
        _follow([[TransientError("broke")]] * 5, max_failures=3)


def test_logs_follow_cancel_during_backoff_ends_at_once() -> None:
    cancel = threading.Event()

    class Closing(ScriptedLogs):
        def stream_logs(self, *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
            self.calls.append((0, None))
            cancel.set()  # ^C while connected: the stream ends, the wait returns at once
            return iter(())

    client = Closing([], cancel)
    assert follow_logs(client, "p", 1, print, Sleeps(), cancel, print) is True  # type: ignore[arg-type]
    assert len(client.calls) == 1
