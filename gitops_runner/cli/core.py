"""The commands that work on whole stacks: validate, init, plan, drift, apply, destroy,
status, logs, schedule and the Action's entrypoint."""

from __future__ import annotations

import click

from gitops_runner.cli.root import Ctx, auto_approve_option, cli, confirm, pass_ctx, reads_stacks


@cli.command()
@reads_stacks("text", "json", sandbox=False)
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
    """Write a starter deploy/dev.yaml, example workflows and a pre-commit hook."""
    from gitops_runner.commands import init

    return init.run(c.session(), directory, project, force, backend, bucket, table)


@cli.command()
@reads_stacks("text", "json", "markdown")
@click.option("--out", "out_file", metavar="FILE", help="Write the plan file (JSON) here.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
def plan(c: Ctx, configs: tuple[str, ...], fmt: str, out_file: str | None,
         detailed_exitcode: bool) -> int:
    """Show what apply would change, its cost, and guardrail violations."""
    from gitops_runner.commands import plan

    return plan.run(c.session(), configs, fmt, out_file, detailed_exitcode)


@cli.command()
@reads_stacks("text", "json", "markdown")
def drift(c: Ctx, configs: tuple[str, ...], fmt: str) -> int:
    """Compare the deploy files, the state and RunPod (read-only)."""
    from gitops_runner.commands import drift

    return drift.run(c.session(), configs, fmt)


@cli.command()
@click.argument("planfile", required=False, type=click.Path(dir_okay=False))
@reads_stacks("text", "json")
@auto_approve_option
@click.option("--parallelism", default=8, show_default=True, type=click.IntRange(1, 64),
              help="RunPod writes (creates, updates, deletes) at most this many at a time.")
@click.option("--max-attempts", default=3, show_default=True, type=click.IntRange(1, 10),
              help="Rounds of retrying failed actions, each after a fresh look at RunPod.")
@click.option("--max-wait", default=300, show_default=True, type=click.IntRange(0, 86400),
              help="Longest RunPod rate-limit wait (seconds) to sit out; a longer one fails "
                   "at once with the reset time.")
def apply(c: Ctx, planfile: str | None, configs: tuple[str, ...], fmt: str, auto_approve: bool,
          parallelism: int, max_attempts: int, max_wait: int) -> int:
    """Make RunPod match the deploy files, or a saved PLANFILE (which names its files)."""
    from gitops_runner.commands import apply
    from gitops_runner.engine.apply import ApplyOptions

    options = ApplyOptions(parallelism=parallelism, max_attempts=max_attempts)
    session = c.session()
    session.with_max_wait(max_wait)
    ask = None if auto_approve or planfile else confirm
    return apply.run(session, configs, options, planfile, ask, fmt)


@cli.command()
@reads_stacks("text", "json")
@auto_approve_option
def destroy(c: Ctx, configs: tuple[str, ...], fmt: str, auto_approve: bool) -> int:
    """Terminate every managed pod of the stacks and empty their state."""
    from gitops_runner.commands import destroy

    return destroy.run(c.session(), configs, None if auto_approve else confirm, fmt)


@cli.command()
@reads_stacks("text", "json")
def status(c: Ctx, configs: tuple[str, ...], fmt: str) -> int:
    """Show the stacks' pods: status, GPU, $/h, endpoints and health."""
    from gitops_runner.commands import status

    return status.run(c.session(), configs, fmt)


@cli.command()
@click.argument("pod")
@reads_stacks()
@click.option("--follow", "-f", is_flag=True,
              help="Keep streaming new lines, reconnecting when the stream closes (^C ends).")
@click.option("--tail", default=100, show_default=True, type=click.IntRange(0, 5000),
              help="How many earlier lines to print first.")
def logs(c: Ctx, pod: str, configs: tuple[str, ...], follow: bool, tail: int) -> int:
    """Print a pod's container logs (POD is its name in the deploy file, or a pod id)."""
    from gitops_runner.commands import logs

    return logs.run(c.session(), configs, pod, follow, tail)


@cli.command()
@reads_stacks("text", "json")
@click.option("--at", "at", metavar="TIME",
              help="Show what schedule would do at TIME (RFC 3339); changes nothing.")
@click.option("--start", "start", multiple=True, metavar="POD",
              help="Start POD now (an idle-stopped pod, or outside its windows).")
def schedule(c: Ctx, configs: tuple[str, ...], fmt: str, at: str | None,
             start: tuple[str, ...]) -> int:
    """Start and stop pods to match their running windows and idle stop."""
    from gitops_runner.commands import schedule

    return schedule.run(c.session(), configs, at, start, fmt)


@cli.command()
@reads_stacks("text", "json")
@click.option("--cloud", type=click.Choice(["SECURE", "COMMUNITY"]),
              help="Only types this cloud offers; stock is read for it (default SECURE).")
@click.option("--min-memory", type=click.IntRange(1), metavar="GB",
              help="Only types with at least this much GPU memory.")
@click.option("--count", type=click.IntRange(1), metavar="N",
              help="Only types one pod can have N of; stock is read for N GPUs.")
@click.option("--available", is_flag=True, help="Only types with stock now.")
def gpus(c: Ctx, configs: tuple[str, ...], fmt: str, cloud: str | None, min_memory: int | None,
         count: int | None, available: bool) -> int:
    """List RunPod's GPU ids with memory, $/h per cloud, stock per data center and CUDA."""
    from gitops_runner.commands import gpus

    return gpus.run(c.session(), configs, cloud, min_memory, count, available, fmt)


@cli.command()
@pass_ctx
def action(c: Ctx) -> int:
    """The GitHub Action entrypoint: acts on GITHUB_EVENT_NAME and the INPUT_* values."""
    from gitops_runner.commands import action
    from gitops_runner.github.context import read_context
    from gitops_runner.github.runner_user import adopt_workspace_owner

    session = c.session()
    became = adopt_workspace_owner(session.environ)  # before anything is written
    if became:
        c.out.log(became)
    return action.run(session, read_context(session.environ))
