"""Command-line entry point: click only (this package is the one place click is
imported). Each command parses its flags, builds the run's Session, calls one command
module and returns its exit status (CONTRACT §6); `main` is the one place errors become
a line and an exit code. Commands live in cli/core.py, cli/state.py and cli/sandbox.py."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from gitops_runner.cli import core, sandbox, state  # noqa: F401 - registers the commands
from gitops_runner.cli.root import Ctx, cli
from gitops_runner.config.errors import ConfigError
from gitops_runner.errors import GitopsError
from gitops_runner.output import ErrorInfo, Output, error_report

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


def _wants_json(argv: Sequence[str]) -> bool:
    """`--format json` anywhere on the line: read before click parses it, so a usage
    error (which stops the parse) is JSON too."""
    args = list(argv)
    return "--format=json" in args or any(
        a == "--format" and b == "json" for a, b in zip(args, args[1:], strict=False))


def main(argv: Sequence[str] | None = None, env: dict[str, str] | None = None,
         out: Output | None = None, clock: Clock | None = None,
         cancel: threading.Event | None = None) -> int:
    # The environment is read by the run's Session (engine/session.py), not here.
    out = out or Output()
    args = list(argv) if argv is not None else sys.argv[1:]
    code = _main(args, out, Ctx(env, out, clock, cancel))
    if code not in (0, 2) and _wants_json(args) and out.last_error is not None \
            and not out.reported:
        # A script asked for JSON: the error is a JSON document on stdout too (§6).
        out.report(error_report(out.last_error, code))
    return code


def _fail(out: Output, code: int, line: str, kind: str,
          problems: Sequence[object] = ()) -> int:
    out.log(line)
    out.last_error = ErrorInfo(kind, line.removeprefix("error: "), tuple(problems))
    return code


def _main(args: list[str], out: Output, ctx: Ctx) -> int:
    try:
        result = cli.main(args=args, prog_name="gitops-runner", standalone_mode=False, obj=ctx)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        # A usage error is 1, like any error: 2 means "changes" or "drift".
        return _fail(out, 1, f"error: {exc.format_message()}", "usage")
    except (click.exceptions.Abort, KeyboardInterrupt):
        ctx.cancel.set()
        return _fail(out, EXIT_INTERRUPTED, "interrupted", "interrupted")
    except ConfigError as exc:
        return _fail(out, exc.exit_code, str(exc), "config", exc.problems)
    except GitopsError as exc:
        return _fail(out, exc.exit_code, f"error: {exc}", "error")
    except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into a line
        if ctx.debug:
            import traceback

            out.log(traceback.format_exc())
        return _fail(out, EXIT_UNEXPECTED, f"unexpected error: {type(exc).__name__}: {exc} "
                     "(run with --debug for details)", "unexpected")
    return int(result or 0)


def run() -> None:
    cancel = threading.Event()
    _interrupt_on_signals(cancel)
    sys.exit(main(cancel=cancel))
