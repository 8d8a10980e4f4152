"""Command-line entry point. Each command parses, builds adapters, calls one core
function and maps its result to the exit codes of CONTRACT §6."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from gitops_runner import __version__
from gitops_runner.config.errors import ConfigError
from gitops_runner.errors import GitopsError, UsageError
from gitops_runner.output import Output

if TYPE_CHECKING:
    from gitops_runner.config.model import Stack

EXIT_UNEXPECTED = 3
EXIT_INTERRUPTED = 130


class Ctx:
    """What every command gets: the environment, the output channel, global flags."""

    def __init__(self, env: dict[str, str], out: Output, sandbox: bool, debug: bool) -> None:
        self.env = env
        self.out = out
        self.sandbox = sandbox
        self.debug = debug

    def config_files(self, given: Sequence[str]) -> list[str]:
        if given:
            return list(given)
        if os.path.exists("deploy.yaml"):
            return ["deploy.yaml"]
        found = sorted(glob.glob("deploy/*.yaml") + glob.glob("deploy/*.yml"))
        if not found:
            raise UsageError("no deploy file found: pass -c FILE, or create deploy.yaml or "
                             "deploy/*.yaml (gitops-runner init writes a starter)")
        return found

    def stacks(self, given: Sequence[str]) -> list[Stack]:
        from gitops_runner.config import load_stacks

        stacks = load_stacks(self.config_files(given))
        self.out.add_secrets(self.env[name] for s in stacks for name in s.secret_names()
                             if name in self.env)
        return stacks


F = TypeVar("F", bound=Callable[..., Any])
pass_ctx = click.make_pass_decorator(Ctx)


def _print_version(ctx: click.Context, value: bool) -> None:
    if value:
        ctx.ensure_object(Ctx).out.report(f"gitops-runner, version {__version__}")
        ctx.exit(0)
config_option = click.option("-c", "--config", "configs", multiple=True,
                             metavar="FILE", help="Deploy file (repeatable).")


def _enable_sandbox(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(Ctx).sandbox = True


sandbox_option = click.option("--sandbox", is_flag=True, expose_value=False,
                              callback=_enable_sandbox,
                              help="Use the built-in RunPod simulator (no account needed).")


def format_option(*choices: str) -> Callable[[F], F]:
    return click.option("--format", "fmt", type=click.Choice(choices), default="text",
                        show_default=True, help="Report format.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda ctx, _p, v: _print_version(ctx, v), help="Show the version.")
@click.option("--sandbox", is_flag=True, help="Use the built-in RunPod simulator (no account).")
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
@click.pass_context
def cli(ctx: click.Context, sandbox: bool, debug: bool) -> None:
    """GitOps for RunPod GPU pods."""
    obj: Ctx = ctx.obj
    obj.sandbox = obj.sandbox or sandbox
    obj.debug = obj.debug or debug


@cli.command()
@config_option
@format_option("text", "json")
@pass_ctx
def validate(c: Ctx, configs: tuple[str, ...], fmt: str) -> int:
    """Check deploy files against the schema and semantic rules (no network)."""
    from gitops_runner.config import check_files

    files = c.config_files(configs)
    stacks, problems = check_files(files)
    if fmt == "json":
        c.out.report(json.dumps({"valid": not problems, "files": files,
                                 "stacks": [s.name for s in stacks],
                                 "errors": [vars(p) for p in problems]}, indent=2))
    else:
        for problem in problems:
            c.out.report(str(problem))
        if not problems:
            c.out.report(f"{len(files)} file(s) valid: {', '.join(s.name for s in stacks)}")
    if c.env.get("GITHUB_ACTIONS") == "true":
        from gitops_runner.github.annotations import error_annotation

        for problem in problems:
            c.out.report(error_annotation(problem.file, problem.line, problem.col,
                                          problem.message))
    return 1 if problems else 0


@cli.command()
@click.option("--dir", "directory", default=".", show_default=True, help="Repository root.")
@click.option("--project", default="my-project", show_default=True)
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@pass_ctx
def init(c: Ctx, directory: str, project: str, force: bool) -> int:
    """Write a commented starter deploy/dev.yaml and example workflows."""
    from gitops_runner.init import write_starter

    for path in write_starter(directory, project, force):
        c.out.report(f"wrote {path}")
    c.out.report("next: gitops-runner validate && gitops-runner plan --sandbox")
    return 0


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
    from gitops_runner.operations import plan_stacks
    from gitops_runner.plan.planfile import render_plan_file
    from gitops_runner.reports import print_plans
    from gitops_runner.wiring import runpod_access, secret_values

    stacks = c.stacks(configs)
    secrets = secret_values(stacks, c.env)
    with runpod_access(c.env, stacks, c.sandbox) as access:
        results = plan_stacks(stacks, c.env, access.client, secrets)
    plans = [r.plan for r in results]
    print_plans(c.out, plans, fmt, access.sandbox)
    if out_file:
        from gitops_runner.fsutil import atomic_write

        atomic_write(out_file, c.out.redact(render_plan_file(plans)).encode())
        c.out.log(f"plan written to {out_file}")
    if any(p.violations for p in plans):
        return 1
    return 2 if detailed_exitcode and any(p.has_changes for p in plans) else 0


@cli.command()
@config_option
@format_option("text", "json", "markdown")
@sandbox_option
@pass_ctx
def drift(c: Ctx, configs: tuple[str, ...], fmt: str) -> int:
    """Compare the deploy files, the state and RunPod (read-only)."""
    from gitops_runner.operations import drift_stacks
    from gitops_runner.reports import print_drift
    from gitops_runner.wiring import runpod_access, secret_values

    stacks = c.stacks(configs)
    secrets = secret_values(stacks, c.env, required=False)
    with runpod_access(c.env, stacks, c.sandbox) as access:
        results = drift_stacks(stacks, c.env, access.client, secrets)
    print_drift(c.out, results, fmt, access.sandbox)
    return 2 if any(r.findings for r in results) else 0


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise UsageError("refusing to continue without --auto-approve: stdin is not a terminal")
    return click.confirm(question, default=False)


@cli.command()
@click.argument("planfile", required=False, type=click.Path(dir_okay=False))
@config_option
@sandbox_option
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--parallelism", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--max-attempts", default=3, show_default=True, type=click.IntRange(1, 10))
@pass_ctx
def apply(c: Ctx, planfile: str | None, configs: tuple[str, ...], auto_approve: bool,
          parallelism: int, max_attempts: int) -> int:
    """Make RunPod match the deploy files (or a saved plan)."""
    from gitops_runner.apply import ApplyOptions
    from gitops_runner.commands import run_apply

    options = ApplyOptions(parallelism=parallelism, max_attempts=max_attempts)
    ask = None if auto_approve or planfile else _confirm
    return run_apply(c.env, c.out, c.stacks(configs), c.sandbox, options, planfile, ask)


@cli.command()
@config_option
@sandbox_option
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def destroy(c: Ctx, configs: tuple[str, ...], auto_approve: bool) -> int:
    """Terminate every managed pod of the stacks and empty their state."""
    from gitops_runner.commands import run_destroy

    stacks = c.stacks(configs)
    names = ", ".join(s.name for s in stacks)
    if not auto_approve and not _confirm(f"Terminate every pod of {names}?"):
        return 1
    return run_destroy(c.env, c.out, stacks, c.sandbox)


@cli.command()
@config_option
@format_option("text", "json")
@sandbox_option
@pass_ctx
def status(c: Ctx, configs: tuple[str, ...], fmt: str) -> int:
    """Show the stacks' pods: status, GPU, $/h, endpoints and health."""
    from gitops_runner.commands import run_status

    return run_status(c.env, c.out, c.stacks(configs), c.sandbox, fmt)


@cli.command()
@click.argument("pod")
@config_option
@sandbox_option
@click.option("--follow", "-f", is_flag=True, help="Keep streaming new lines.")
@click.option("--tail", default=100, show_default=True, type=click.IntRange(0, 5000))
@pass_ctx
def logs(c: Ctx, pod: str, configs: tuple[str, ...], follow: bool, tail: int) -> int:
    """Print a pod's container logs (POD is its name in the deploy file, or a pod id)."""
    from gitops_runner.commands import run_logs

    return run_logs(c.env, c.out, c.stacks(configs), c.sandbox, pod, follow, tail)


@cli.group()
def state() -> None:
    """Inspect and repair the stack's state."""


def _state_reader(what: str, doc: str) -> None:
    @state.command(what, help=doc)
    @config_option
    @pass_ctx
    def command(c: Ctx, configs: tuple[str, ...]) -> int:
        from gitops_runner.commands import run_state_read

        return run_state_read(c.env, c.out, c.stacks(configs), what)


for _what, _doc in (("show", "Print the state document."),
                    ("list", "One line per pod in state."),
                    ("pull", "Print the raw state (for backups and `state push`)."),
                    ("history", "The last 100 operations on the state.")):
    _state_reader(_what, _doc)


@state.command("push")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@config_option
@pass_ctx
def state_push_cmd(c: Ctx, file: str, configs: tuple[str, ...]) -> int:
    """Store FILE as the state (serial must exceed the stored one; same lineage)."""
    from gitops_runner.commands import run_state_change

    return run_state_change(c.env, c.out, c.stacks(configs), c.sandbox, "push", file)


@state.command("rm")
@click.argument("pod")
@config_option
@pass_ctx
def state_rm_cmd(c: Ctx, pod: str, configs: tuple[str, ...]) -> int:
    """Forget POD (RunPod is not touched)."""
    from gitops_runner.commands import run_state_change

    return run_state_change(c.env, c.out, c.stacks(configs), c.sandbox, "rm", pod)


@state.command("import")
@click.argument("pod")
@click.argument("pod_id")
@config_option
@sandbox_option
@pass_ctx
def state_import_cmd(c: Ctx, pod: str, pod_id: str, configs: tuple[str, ...]) -> int:
    """Record existing RunPod pod POD_ID as POD of the deploy file."""
    from gitops_runner.commands import run_state_change

    return run_state_change(c.env, c.out, c.stacks(configs), c.sandbox, "import", pod, pod_id)


@cli.group()
def lock() -> None:
    """Who holds the stacks' locks."""


@lock.command("list")
@config_option
@pass_ctx
def lock_list(c: Ctx, configs: tuple[str, ...]) -> int:
    """One line per stack: its lock holder, if any."""
    from gitops_runner.commands import run_lock_read

    return run_lock_read(c.env, c.out, c.stacks(configs), detailed=False)


@lock.command("show")
@config_option
@pass_ctx
def lock_show(c: Ctx, configs: tuple[str, ...]) -> int:
    """Every detail of the stacks' locks."""
    from gitops_runner.commands import run_lock_read

    return run_lock_read(c.env, c.out, c.stacks(configs), detailed=True)


@cli.command("force-unlock")
@click.argument("lock_id")
@config_option
@click.option("--if-run-finished", is_flag=True,
              help="Only if the GitHub Actions run holding the lock has finished.")
@pass_ctx
def force_unlock_cmd(c: Ctx, lock_id: str, configs: tuple[str, ...],
                     if_run_finished: bool) -> int:
    """Remove a stale lock, only if LOCK_ID matches its holder."""
    from gitops_runner.commands import run_force_unlock

    return run_force_unlock(c.env, c.out, c.stacks(configs), lock_id, if_run_finished)


@cli.command()
@pass_ctx
def action(c: Ctx) -> int:
    """The GitHub Action entrypoint: acts on GITHUB_EVENT_NAME and the INPUT_* values."""
    from gitops_runner.action import run_action
    from gitops_runner.github.context import read_context

    return run_action(read_context(c.env), c.out, c.sandbox)


def _interrupt_on_sigterm() -> None:
    """SIGTERM (a cancelled CI job) unwinds like ^C, so held locks are released."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        signal.signal(signal.SIGTERM, handler)


def main(argv: Sequence[str] | None = None, env: dict[str, str] | None = None,
         out: Output | None = None) -> int:
    env = dict(os.environ if env is None else env)
    out = out or Output(color=sys.stdout.isatty() and "NO_COLOR" not in env)
    out.add_secrets([env.get("RUNPOD_API_KEY", "")])
    sandbox = env.get("GITOPS_RUNNER_SANDBOX") == "1"
    ctx = Ctx(env, out, sandbox, debug=False)
    try:
        result = cli.main(args=list(argv) if argv is not None else None,
                          prog_name="gitops-runner", standalone_mode=False, obj=ctx)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        out.log(f"error: {exc.format_message()}")
        return 2 if isinstance(exc, click.UsageError) else 1
    except click.exceptions.Abort:
        out.log("aborted")
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
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
    _interrupt_on_sigterm()
    sys.exit(main())
