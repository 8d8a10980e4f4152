"""Command-line entry point: click only. Each command parses its flags, builds the
run's Session, calls one command module and returns its exit status (CONTRACT §6);
`main` is the one place errors become a line and an exit code."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from gitops_runner import __version__
from gitops_runner.config.errors import ConfigError
from gitops_runner.errors import GitopsError, UsageError
from gitops_runner.output import Output

if TYPE_CHECKING:
    from gitops_runner.engine.clock import Clock
    from gitops_runner.engine.session import Session

EXIT_UNEXPECTED = 3
EXIT_INTERRUPTED = 130


class Ctx:
    """What `main` hands every command: the environment, the output, global flags."""

    def __init__(self, env: dict[str, str], out: Output, clock: Clock | None,
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
                        show_default=True, help="Report format.")


def _confirm(question: str) -> bool:
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


@cli.command()
@config_option
@format_option("text", "json")
@pass_ctx
def validate(c: Ctx, configs: tuple[str, ...], fmt: str) -> int:
    """Check deploy files against the schema and semantic rules (no network)."""
    from gitops_runner.commands import validate

    return validate.run(c.session(), configs, fmt)


@cli.command()
@click.option("--dir", "directory", default=".", show_default=True, help="Repository root.")
@click.option("--project", default="my-project", show_default=True, help="Project name.")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@click.option("--backend", type=click.Choice(["local", "s3"]), default="local", show_default=True,
              help="Where the starter keeps state (s3 for GitHub Actions).")
@click.option("--bucket", default="", help="S3 bucket for state (with --backend s3).")
@click.option("--table", default="", help="DynamoDB lock table (with --backend s3).")
@pass_ctx
def init(c: Ctx, directory: str, project: str, force: bool, backend: str, bucket: str,
         table: str) -> int:
    """Write a commented starter deploy/dev.yaml and example workflows."""
    from gitops_runner.commands import init

    return init.run(c.session(), directory, project, force, backend, bucket, table)


@cli.command()
@config_option
@format_option("text", "json", "markdown")
@sandbox_option
@click.option("--out", "out_file", metavar="FILE", help="Write the plan file (JSON) here.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
@pass_ctx
def plan(c: Ctx, configs: tuple[str, ...], fmt: str, out_file: str | None,
         detailed_exitcode: bool) -> int:
    """Show what apply would change, its cost, and guardrail violations."""
    from gitops_runner.commands import plan

    return plan.run(c.session(), configs, fmt, out_file, detailed_exitcode)


@cli.command()
@config_option
@format_option("text", "json", "markdown")
@sandbox_option
@pass_ctx
def drift(c: Ctx, configs: tuple[str, ...], fmt: str) -> int:
    """Compare the deploy files, the state and RunPod (read-only)."""
    from gitops_runner.commands import drift

    return drift.run(c.session(), configs, fmt)


@cli.command()
@click.argument("planfile", required=False, type=click.Path(dir_okay=False))
@config_option
@sandbox_option
@auto_approve_option
@click.option("--parallelism", default=8, show_default=True, type=click.IntRange(1, 64),
              help="RunPod writes (creates, updates, deletes) at most this many at a time.")
@click.option("--max-attempts", default=3, show_default=True, type=click.IntRange(1, 10),
              help="Rounds of retrying failed actions, each after a fresh look at RunPod.")
@click.option("--max-wait", default=300, show_default=True, type=click.IntRange(0, 86400),
              help="Longest RunPod rate-limit wait (seconds) to sit out; a longer one fails "
                   "at once with the reset time.")
@pass_ctx
def apply(c: Ctx, planfile: str | None, configs: tuple[str, ...], auto_approve: bool,
          parallelism: int, max_attempts: int, max_wait: int) -> int:
    """Make RunPod match the deploy files (or a saved plan)."""
    from gitops_runner.commands import apply
    from gitops_runner.engine.apply import ApplyOptions

    options = ApplyOptions(parallelism=parallelism, max_attempts=max_attempts)
    ask = None if auto_approve or planfile else _confirm
    session = c.session()
    session.with_max_wait(max_wait)
    return apply.run(session, configs, options, planfile, ask)


@cli.command()
@config_option
@sandbox_option
@auto_approve_option
@pass_ctx
def destroy(c: Ctx, configs: tuple[str, ...], auto_approve: bool) -> int:
    """Terminate every managed pod of the stacks and empty their state."""
    from gitops_runner.commands import destroy

    return destroy.run(c.session(), configs, None if auto_approve else _confirm)


@cli.command()
@config_option
@format_option("text", "json")
@sandbox_option
@pass_ctx
def status(c: Ctx, configs: tuple[str, ...], fmt: str) -> int:
    """Show the stacks' pods: status, GPU, $/h, endpoints and health."""
    from gitops_runner.commands import status

    return status.run(c.session(), configs, fmt)


@cli.command()
@click.argument("pod")
@config_option
@sandbox_option
@click.option("--follow", "-f", is_flag=True, help="Keep streaming new lines.")
@click.option("--tail", default=100, show_default=True, type=click.IntRange(0, 5000),
              help="How many earlier lines to print first.")
@pass_ctx
def logs(c: Ctx, pod: str, configs: tuple[str, ...], follow: bool, tail: int) -> int:
    """Print a pod's container logs (POD is its name in the deploy file, or a pod id)."""
    from gitops_runner.commands import logs

    return logs.run(c.session(), configs, pod, follow, tail)


@cli.command()
@config_option
@format_option("text", "json")
@sandbox_option
@click.option("--at", "at", metavar="TIME", help="Act as if now were TIME (RFC 3339).")
@click.option("--start", "start", multiple=True, metavar="POD",
              help="Start POD now (an idle-stopped pod, or outside its windows).")
@pass_ctx
def schedule(c: Ctx, configs: tuple[str, ...], fmt: str, at: str | None,
             start: tuple[str, ...]) -> int:
    """Start and stop pods to match their running windows and idle stop."""
    from gitops_runner.commands import schedule

    return schedule.run(c.session(), configs, at, start, fmt)


@cli.group()
def state() -> None:
    """Inspect and repair the stack's state."""


def _state_reader(what: str, doc: str) -> None:
    @state.command(what, help=doc)
    @config_option
    @pass_ctx
    def command(c: Ctx, configs: tuple[str, ...]) -> int:
        from gitops_runner.commands import state

        return state.read(c.session(), configs, what)


for _what, _doc in (("show", "Print the state document."),
                    ("list", "One line per pod in state."),
                    ("pull", "Print the raw state (for backups and `state push`)."),
                    ("history", "The last 100 operations on the state.")):
    _state_reader(_what, _doc)


@state.command("push")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@config_option
@pass_ctx
def state_push(c: Ctx, file: str, configs: tuple[str, ...]) -> int:
    """Store FILE as the state (serial must exceed the stored one; same lineage)."""
    from gitops_runner.commands import state

    return state.push(c.session(), configs, file)


@state.command("rm")
@click.argument("pod")
@config_option
@pass_ctx
def state_rm(c: Ctx, pod: str, configs: tuple[str, ...]) -> int:
    """Forget POD (RunPod is not touched)."""
    from gitops_runner.commands import state

    return state.rm(c.session(), configs, pod)


@state.command("import")
@click.argument("pod")
@click.argument("pod_id")
@config_option
@sandbox_option
@pass_ctx
def state_import(c: Ctx, pod: str, pod_id: str, configs: tuple[str, ...]) -> int:
    """Record existing RunPod pod POD_ID as POD of the deploy file."""
    from gitops_runner.commands import state

    return state.import_pod(c.session(), configs, pod, pod_id)


@cli.group()
def preview() -> None:
    """Per-pull-request preview stacks (the Action deploys them)."""


@preview.command("list")
@config_option
@format_option("text", "json")
@sandbox_option
@pass_ctx
def preview_list(c: Ctx, configs: tuple[str, ...], fmt: str) -> int:
    """Live previews of the stacks: pull request, pods, age, TTL and $/h."""
    from gitops_runner.commands import preview

    return preview.list_previews(c.session(), configs, fmt)


@cli.group()
def lock() -> None:
    """Who holds the stacks' locks."""


@lock.command("list")
@config_option
@pass_ctx
def lock_list(c: Ctx, configs: tuple[str, ...]) -> int:
    """One line per stack: its lock holder, if any."""
    from gitops_runner.commands import lock

    return lock.show(c.session(), configs, detailed=False)


@lock.command("show")
@config_option
@pass_ctx
def lock_show(c: Ctx, configs: tuple[str, ...]) -> int:
    """Every detail of the stacks' locks."""
    from gitops_runner.commands import lock

    return lock.show(c.session(), configs, detailed=True)


@cli.command("force-unlock")
@click.argument("lock_id")
@config_option
@click.option("--if-run-finished", is_flag=True,
              help="Only if the GitHub Actions run holding the lock has finished.")
@pass_ctx
def force_unlock(c: Ctx, lock_id: str, configs: tuple[str, ...], if_run_finished: bool) -> int:
    """Remove a stale lock, only if LOCK_ID matches its holder."""
    from gitops_runner.commands import lock

    return lock.force_unlock(c.session(), configs, lock_id, if_run_finished)


@cli.command()
@pass_ctx
def action(c: Ctx) -> int:
    """The GitHub Action entrypoint: acts on GITHUB_EVENT_NAME and the INPUT_* values."""
    from gitops_runner.commands import action
    from gitops_runner.github.context import read_context
    from gitops_runner.github.runner_user import adopt_workspace_owner

    became = adopt_workspace_owner(c.env)  # before anything is written
    if became:
        c.out.log(became)
    return action.run(c.session(), read_context(c.env))


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
    env = dict(os.environ if env is None else env)
    out = out or Output(color=sys.stdout.isatty() and "NO_COLOR" not in env)
    out.add_secrets([env.get("RUNPOD_API_KEY", "")])
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
