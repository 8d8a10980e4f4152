"""Keep one server process alive while the test run that started it lasts.

`python -m tests.state.keeper RUN_PID COMMAND...` starts COMMAND and stops it when the
run's process (the xdist controller, or pytest itself without workers) is gone, or when
told to stop (SIGTERM). The xdist workers share one server this way: the worker that
started it may finish before another one is done with it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def _alive(pid: int) -> bool:
    """Running: a process that has exited but is not yet reaped (a zombie) is not."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:  # gone, or no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # pragma: no cover - another user's process with that id
            return True
        return True


def main(argv: list[str]) -> int:
    run_pid, command = int(argv[0]), argv[1:]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stop: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stop.append(signum))
    while not stop and server.poll() is None and _alive(run_pid):
        time.sleep(0.2)
    server.kill()
    server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
