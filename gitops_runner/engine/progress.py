"""Progress of long waits on stderr: one line per pod, with its elapsed time and phase.

readiness.py writes each look at a waiting pod as `progress_text(phase, elapsed)`; the
executor prefixes the pod's name. `WaitProgress` sits between the run and its log: on a
terminal every line passes (a line per pod every HEARTBEAT_SECONDS while nothing
changes); off a terminal (CI logs, pipes) only a change of a pod's phase does, so logs
stay short and every state change is still there. The format and its parse live here.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

HEARTBEAT_SECONDS = 10.0
_LINE = re.compile(r"^(?P<pod>\S+): (?P<phase>.+) \((?P<elapsed>\d+)s\)$")


def progress_text(phase: str, elapsed: float) -> str:
    return f"{phase} ({int(elapsed)}s)"


class WaitProgress:
    """A log function that drops unchanged progress lines when stderr is no terminal."""

    def __init__(self, log: Callable[[str], None], tty: bool) -> None:
        self._log, self._tty = log, tty
        self._phases: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, text: str) -> None:
        match = _LINE.match(text)
        if match is None:
            self._log(text)
            return
        with self._lock:
            changed = self._phases.get(match["pod"]) != match["phase"]
            self._phases[match["pod"]] = match["phase"]
        if changed or self._tty:
            self._log(text)
