"""The log stream's lines with a shorter quiet cut-off once events flow.

requests fixes a streamed response's read timeout per request (it applies to each read),
so it cannot be shortened once the first event arrives. Instead of reaching into the
socket under the response (private urllib3 attributes), a reader thread feeds a queue and
the caller waits on the queue: `first_seconds` for the first data line, `idle_seconds`
between the ones after it, on the run's clock (in the sandbox's virtual time, a quiet
second passes as fast as its boots do). The request's own read timeout bounds the reader
thread's life after the caller has stopped waiting."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator

import requests

_END = object()


def _read(resp: requests.Response, lines: queue.Queue[object]) -> None:
    # The reader closes the response: closing it from the waiting thread would block on
    # the read in progress (the buffered reader's lock) until the read timeout.
    try:
        with resp:
            for line in resp.iter_lines(chunk_size=1, decode_unicode=True):
                lines.put(line)
    except Exception as exc:  # noqa: BLE001 - handed to the caller, which decides
        lines.put(exc)
    finally:
        lines.put(_END)


# How often the waiting caller looks at the queue, in the clock's seconds.
POLL_SECONDS = 0.05
# A quiet spell also lasts this long in real time (or the whole wait, if shorter): the
# stream's own delays are real even when the run's clock is virtual, as in the sandbox.
REAL_FLOOR_SECONDS = 0.5


def lines_until_quiet(resp: requests.Response, first_seconds: float, idle_seconds: float,
                      clock: Callable[[], float] = time.monotonic,
                      sleep: Callable[[float], object] = time.sleep,
                      cancelled: Callable[[], bool] = lambda: False) -> Iterator[str]:
    """The response's lines until it ends, goes quiet or the run is cancelled; a read
    error is raised here. The response is the reader thread's from now on: it closes it
    when the stream ends or its read timeout passes, whether or not anyone still waits."""
    lines: queue.Queue[object] = queue.Queue()
    threading.Thread(target=_read, args=(resp, lines), daemon=True,
                     name="sse-reader").start()
    wait, since, real_since = first_seconds, clock(), time.monotonic()
    while not cancelled():
        try:
            item = lines.get_nowait()
        except queue.Empty:
            if (clock() - since >= wait
                    and time.monotonic() - real_since >= min(wait, REAL_FLOOR_SECONDS)):
                return
            sleep(POLL_SECONDS)
            continue
        if item is _END:
            return
        if isinstance(item, BaseException):
            raise item
        line, since, real_since = str(item), clock(), time.monotonic()
        if line.startswith("data:"):
            wait = idle_seconds
        yield line
