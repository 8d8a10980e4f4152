"""A requests.Session that records every RunPod request with its virtual time, and can
answer a create with a gateway timeout while RunPod finishes it a little later."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import requests

WRITES = ("POST", "PATCH", "DELETE")


class RecordingSession(requests.Session):
    def __init__(self, now: Callable[[], float]) -> None:
        super().__init__()
        self.now = now
        self.calls: list[tuple[float, str, str]] = []
        self.lost_creates = 0  # the next N creates answer 504, then complete late
        self.late_seconds = 0.5  # virtual seconds
        self.sleep: Callable[[float], Any] = lambda _s: None
        self.after_create: Callable[[], None] | None = None  # runs once, after a create
        self._lock = threading.Lock()

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        with self._lock:
            self.calls.append((self.now(), method.upper(), url))
            lose = method.upper() == "POST" and url.endswith("/v2/pods") and self.lost_creates > 0
            if lose:
                self.lost_creates -= 1
        if lose:
            def late() -> None:
                self.sleep(self.late_seconds)
                super(RecordingSession, self).request(method, url, *args, **kwargs)

            threading.Thread(target=late, daemon=True).start()
            resp = requests.Response()
            resp.status_code = 504
            resp._content = b'{"title": "Gateway Timeout"}'
            return resp
        resp = super().request(method, url, *args, **kwargs)
        if method.upper() == "POST" and url.endswith("/v2/pods") and self.after_create:
            hook, self.after_create = self.after_create, None
            hook()
        return resp

    def writes(self) -> list[tuple[float, str, str]]:
        return [c for c in self.calls if c[1] in WRITES]
