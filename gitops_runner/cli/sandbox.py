"""The sandbox's controls: change the simulated RunPod account behind the tool's back."""

from __future__ import annotations

import click

from gitops_runner.cli.root import Ctx, cli, reads_stacks


@cli.group()
def sandbox() -> None:
    """Change the sandbox's simulated RunPod as others would (sandbox only).

    Stop or terminate a pod, take a GPU's stock away, or rate-limit the next requests,
    then run drift, plan or apply with --sandbox to see what the tool makes of it.
    """


def _pod_control(action: str, doc: str) -> None:
    @sandbox.command(action, help=doc)
    @click.argument("pod_id")
    @reads_stacks()
    def command(c: Ctx, pod_id: str, configs: tuple[str, ...]) -> int:
        from gitops_runner.commands import sandbox

        return sandbox.pod_control(c.session(), configs, pod_id, action)


for _action, _doc in (("stop", "Stop POD_ID (a pod id or RunPod name) as the console does."),
                      ("terminate", "Terminate POD_ID (a pod id or RunPod name) as the "
                                    "console does.")):
    _pod_control(_action, _doc)


@sandbox.command("stock")
@click.argument("gpu_id")
@click.argument("data_center")
@click.argument("level")
@click.option("--cloud", type=click.Choice(["SECURE", "COMMUNITY"]),
              help="Only this cloud (default: every cloud that offers the GPU).")
@reads_stacks()
def stock(c: Ctx, gpu_id: str, data_center: str, level: str, cloud: str | None,
          configs: tuple[str, ...]) -> int:
    """Set GPU_ID's free GPUs in DATA_CENTER (or all) to LEVEL (none, low, medium, high)
    or a count."""
    from gitops_runner.commands import sandbox

    return sandbox.stock(c.session(), configs, gpu_id, data_center, level, cloud)


@sandbox.command("rate-limit")
@click.argument("seconds", type=click.IntRange(min=0))
@click.option("--times", type=click.IntRange(min=1), default=1, show_default=True,
              help="How many of the next RunPod requests get the 429.")
@reads_stacks()
def rate_limit(c: Ctx, seconds: int, times: int, configs: tuple[str, ...]) -> int:
    """The next RunPod request(s) answer 429 with Retry-After: SECONDS."""
    from gitops_runner.commands import sandbox

    return sandbox.rate_limit(c.session(), configs, seconds, times)


@sandbox.command("reset")
@reads_stacks()
def reset(c: Ctx, configs: tuple[str, ...]) -> int:
    """Default stock everywhere and no pending rate limit (pods are left alone)."""
    from gitops_runner.commands import sandbox

    return sandbox.reset(c.session(), configs)


@sandbox.command("status")
@reads_stacks("text", "json")
def status(c: Ctx, configs: tuple[str, ...], fmt: str) -> int:
    """What the controls have set: stock, pending rate limits, and the pods."""
    from gitops_runner.commands import sandbox

    return sandbox.status(c.session(), configs, fmt)
