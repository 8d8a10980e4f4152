"""The log stream's quiet cut-off: public requests API only, no socket reached into."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from gitops_runner.runpod.sse import lines_until_quiet
from tests.fakes.clock import FakeClock

RUNPOD = Path(__file__).resolve().parents[2] / "gitops_runner" / "runpod"


class _Stream:
    """A streamed response: `script` is (seconds to wait, line or exception) in order."""

    def __init__(self, script: list[tuple[float, Any]]) -> None:
        self.script = script
        self.closed = threading.Event()

    def __enter__(self) -> _Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed.set()

    def iter_lines(self, chunk_size: int, decode_unicode: bool) -> Iterator[str]:
        for wait, item in self.script:
            time.sleep(wait)
            if isinstance(item, BaseException):
                raise item
            yield item


def _lines(stream: _Stream, first: float, idle: float) -> list[str]:
    return list(lines_until_quiet(stream, first, idle))  # type: ignore[arg-type]


def test_sse_waits_longer_for_the_first_event_than_between_events() -> None:
    stream = _Stream([(0.3, "data: 1"), (0.0, ""), (0.05, "data: 2"), (1.0, "data: late")])
    started = time.monotonic()
    assert _lines(stream, first=1.0, idle=0.2) == ["data: 1", "", "data: 2"]
    assert time.monotonic() - started < 1.5
    assert stream.closed.wait(3), "the reader thread closes the response when it ends"


def test_sse_a_stream_that_never_starts_ends_after_the_first_event_wait() -> None:
    started = time.monotonic()
    assert _lines(_Stream([(5.0, "data: never")]), first=0.2, idle=0.1) == []
    assert time.monotonic() - started < 1.0


def test_sse_quiet_is_measured_on_the_runs_clock_and_ends_on_cancel() -> None:
    """In the sandbox the run's clock is virtual: 30 quiet seconds of it pass without 30
    real ones. A cancelled run stops waiting at once."""
    clock = FakeClock()
    begun, started = clock(), time.monotonic()
    silent = _Stream([(5.0, "data: never")])
    assert list(lines_until_quiet(silent, 30.0, 2.0, clock, clock.advance)) == []  # type: ignore[arg-type]
    # ...but at least half a real second: the stream's own delays are real.
    assert clock() - begun >= 30.0 and 0.5 <= time.monotonic() - started < 1.5
    cancel = threading.Event()
    cancel.set()
    started = time.monotonic()
    assert list(lines_until_quiet(silent, 30.0, 2.0, cancelled=cancel.is_set)) == []  # type: ignore[arg-type]
    assert time.monotonic() - started < 0.5


def test_sse_a_read_error_reaches_the_caller() -> None:
    stream = _Stream([(0.0, "data: 1"), (0.0, requests.exceptions.ConnectionError("reset"))])
    got: list[str] = []
    with pytest.raises(requests.exceptions.ConnectionError):
        for line in lines_until_quiet(stream, 1.0, 1.0):  # type: ignore[arg-type]
            got.append(line)
    assert got == ["data: 1"]


def test_sse_the_runpod_client_reaches_into_no_private_socket_attribute() -> None:
    private = re.compile(r"""[."']_(sock|fp|connection)\b|\.settimeout\(""")
    for path in RUNPOD.glob("*.py"):
        found = private.search(path.read_text())
        assert found is None, f"{path.name} uses {found.group(0) if found else ''}"
