"""`logs --follow`: keep a pod's log stream open, reconnecting when it closes.

RunPod's SSE stream ends when the proxy or the pod closes it. Following resumes with
`since` = the last event's timestamp; `since` is inclusive, so events already printed
at that very timestamp come again and are dropped (dedupe by timestamp + line). Waits
between reconnects back off (1 s doubling to 30 s; reset by any new line) and run on
the session clock, so ^C/SIGTERM ends them at once. A stream that errors this many
times in a row without a new line ends the command with an error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from gitops_runner.engine.clock import Clock
from gitops_runner.errors import GitopsError
from gitops_runner.runpod.client import RunCancelledError, RunPodClient
from gitops_runner.runpod.errors import NotFoundError, TransientError

MAX_FAILURES = 8
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0
RESUME_TAIL = 5000  # the most the endpoint gives; `since` bounds it


def follow_logs(client: RunPodClient, pod_id: str, tail: int, emit: Callable[[str], None],
                clock: Clock, cancel: threading.Event, log: Callable[[str], None],
                max_failures: int = MAX_FAILURES) -> bool:
    """Print events until cancelled; True when interrupted (the caller exits 130)."""
    last_ts: str | None = None
    at_last: set[str] = set()  # lines already printed with timestamp last_ts
    failures, backoff = 0, FIRST_BACKOFF

    def take(event: dict[str, Any]) -> bool:
        nonlocal last_ts, at_last
        ts, line = str(event.get("ts", "")), str(event.get("line", ""))
        if last_ts is not None and ts < last_ts:
            return False
        if ts == last_ts:
            if line in at_last:
                return False
            at_last.add(line)
        else:
            last_ts, at_last = ts, {line}
        emit(f"{ts} {line}")
        return True

    while not cancel.is_set():
        fresh = False
        try:
            for event in client.stream_logs(pod_id, tail=tail if last_ts is None else RESUME_TAIL,
                                            follow=True, since=last_ts):
                fresh = take(event) or fresh
            why = "the log stream closed"
        except RunCancelledError:
            return True
        except NotFoundError:
            raise GitopsError(f"pod {pod_id} is gone; no more logs") from None
        except TransientError as exc:
            failures = 0 if fresh else failures + 1
            if failures >= max_failures:
                raise GitopsError(f"the log stream of {pod_id} failed {failures} times in a "
                                  f"row ({exc}); giving up") from None
            why = str(exc)
        if fresh:
            failures, backoff = 0, FIRST_BACKOFF
        log(f"{why}; reconnecting in {backoff:g}s (^C to stop)")
        if clock.sleep(backoff, cancel):
            return True
        backoff = min(MAX_BACKOFF, backoff * 2)
    return True
