"""Command-line entry point: click only (this package is the one place click is
imported). Each command parses its flags, builds the run's Session, calls one command
module and returns its exit status (CONTRACT §6); `main` is the one place errors become
a line and an exit code. Commands live in cli/core.py and cli/state.py."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from gitops_runner.cli import core, state  # noqa: F401 - registers the commands
from gitops_runner.cli.root import Ctx, cli
from gitops_runner.config.errors import ConfigError
from gitops_runner.errors import GitopsError
from gitops_runner.output import Output

if TYPE_CHECKING:
    from gitops_runner.engine.clock import Clock

__all__ = ["EXIT_INTERRUPTED", "EXIT_UNEXPECTED", "cli", "main", "run"]

EXIT_UNEXPECTED = 3
EXIT_INTERRUPTED = 130


def _interrupt_on_signals(cancel: threading.Event) -> None:
    """SIGTERM (a cancelled CI job) unwinds like ^C, so held locks are released; both
    first set the run's cancel event, which ends every wait in every thread and stops
    every further RunPod request."""

    def handler(signum: int, frame: object) -> None:
        cancel.set()
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)


def main(argv: Sequence[str] | None = None, env: dict[str, str] | None = None,
         out: Output | None = None, clock: Clock | None = None,
         cancel: threading.Event | None = None) -> int:
    # The environment is read by the run's Session (engine/session.py), not here.
    out = out or Output()
    ctx = Ctx(env, out, clock, cancel)
    try:
        result = cli.main(args=list(argv) if argv is not None else None,
                          prog_name="gitops-runner", standalone_mode=False, obj=ctx)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        # A usage error is 1, like any error: 2 means "changes" or "drift".
        out.log(f"error: {exc.format_message()}")
        return 1
    except (click.exceptions.Abort, KeyboardInterrupt):
        ctx.cancel.set()
        out.log("interrupted")
        return EXIT_INTERRUPTED
    except ConfigError as exc:
        out.log(str(exc))
        return exc.exit_code
    except GitopsError as exc:
        out.log(f"error: {exc}")
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into a line
        if ctx.debug:
            import traceback

            out.log(traceback.format_exc())
        out.log(f"unexpected error: {type(exc).__name__}: {exc} (run with --debug for details)")
        return EXIT_UNEXPECTED
    return int(result or 0)


def run() -> None:
    cancel = threading.Event()
    _interrupt_on_signals(cancel)
    sys.exit(main(cancel=cancel))
