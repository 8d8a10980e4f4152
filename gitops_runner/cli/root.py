"""The root click group, the object every command gets, and the options they share."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from gitops_runner import __version__
from gitops_runner.errors import UsageError
from gitops_runner.output import Output

if TYPE_CHECKING:
    from gitops_runner.engine.clock import Clock
    from gitops_runner.engine.session import Session


class Ctx:
    """What `main` hands every command: the environment, the output, global flags."""

    def __init__(self, env: dict[str, str] | None, out: Output, clock: Clock | None,
                 cancel: threading.Event | None = None) -> None:
        self.env, self.out, self.clock = env, out, clock
        self.cancel = cancel or threading.Event()
        self.sandbox = False
        self.debug = False

    def session(self) -> Session:
        from gitops_runner.engine.session import Session

        return Session.from_environ(self.env, self.out, self.sandbox, self.clock, self.cancel)


F = TypeVar("F", bound=Callable[..., Any])
pass_ctx = click.make_pass_decorator(Ctx)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(Ctx).out.report(f"gitops-runner, version {__version__}")
        ctx.exit(0)


def _enable_sandbox(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(Ctx).sandbox = True


config_option = click.option("-c", "--config", "configs", multiple=True, metavar="FILE",
                             help="Deploy file (repeatable; default deploy.yaml, else "
                                  "deploy/*.yaml).")
sandbox_option = click.option("--sandbox", is_flag=True, expose_value=False,
                              callback=_enable_sandbox,
                              help="Use the built-in RunPod simulator (no account needed).")
auto_approve_option = click.option("--auto-approve", is_flag=True,
                                   help="Do not ask for confirmation.")


def format_option(*choices: str) -> Callable[[F], F]:
    return click.option("--format", "fmt", type=click.Choice(choices), default="text",
                        show_default=True,
                        help="Report format (json: see the README's JSON reports).")


def reads_stacks(*choices: str, sandbox: bool = True) -> Callable[[F], F]:
    """-c, --format (when the command prints a report), --sandbox, and the Ctx."""

    def decorate(func: F) -> F:
        wrapped: Any = pass_ctx(func)
        if sandbox:
            wrapped = sandbox_option(wrapped)
        if choices:
            wrapped = format_option(*choices)(wrapped)
        return cast(F, config_option(wrapped))

    return decorate


def confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise UsageError("refusing to continue without --auto-approve: stdin is not a terminal")
    return click.confirm(question, default=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_print_version, help="Show the version.")
@sandbox_option
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
@pass_ctx
def cli(c: Ctx, debug: bool) -> None:
    """GitOps for RunPod GPU pods."""
    c.debug = c.debug or debug
