"""Progress of waits: every pod's phase changes always reach the log; heartbeats (the
same phase again, a later elapsed time) only when stderr is a terminal."""

from __future__ import annotations

import io

from gitops_runner.engine.progress import WaitProgress, progress_text
from gitops_runner.output import Output

LINES = [f"web: {progress_text('PROVISIONING', 1)}", f"api: {progress_text('PROVISIONING', 1)}",
         f"web: {progress_text('PROVISIONING', 11)}", f"web: {progress_text('RUNNING', 21)}",
         "web: ready (healthy (200))", f"api: {progress_text('PROVISIONING', 11)}"]


def _logged(tty: bool) -> list[str]:
    got: list[str] = []
    progress = WaitProgress(got.append, tty)
    for line in LINES:
        progress(line)
    return got


def test_progress_off_a_terminal_keeps_only_changes_of_phase() -> None:
    assert _logged(tty=False) == ["web: PROVISIONING (1s)", "api: PROVISIONING (1s)",
                                  "web: RUNNING (21s)", "web: ready (healthy (200))"]


def test_progress_on_a_terminal_keeps_a_line_per_pod_per_heartbeat() -> None:
    assert _logged(tty=True) == LINES


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_output_knows_whether_stderr_is_a_terminal() -> None:
    assert Output(err=Tty()).err_is_tty() is True
    assert Output(err=io.StringIO()).err_is_tty() is False
