"""The log stream's socket: a shorter read timeout once events flow."""

from __future__ import annotations

import requests


def set_read_timeout(resp: requests.Response, seconds: float) -> bool:
    """Shorten the stream's read timeout once events flow. requests fixes the timeout
    per request, so the socket under the response is reached directly; when it cannot
    be found the longer first-event timeout simply stays in force."""
    sock = getattr(getattr(resp.raw, "_connection", None), "sock", None)
    if sock is None:
        # "Connection: close" answers (RunPod's SSE stream) detach the socket from the
        # connection; the file object reading it still holds it.
        fp = getattr(getattr(resp.raw, "_fp", None), "fp", None)
        sock = getattr(getattr(fp, "raw", None), "_sock", None)
    if sock is None:
        return False
    try:
        sock.settimeout(seconds)
    except OSError:
        return False
    return True
