"""The repair and inspection groups: state, lock, force-unlock and preview."""

from __future__ import annotations

import click

from gitops_runner.cli.root import Ctx, cli, reads_stacks


@cli.group()
def state() -> None:
    """Inspect and repair the stack's state."""


def _state_reader(what: str, doc: str) -> None:
    formats = () if what == "pull" else ("text", "json")

    @state.command(what, help=doc)
    @reads_stacks(*formats, sandbox=False)
    def command(c: Ctx, configs: tuple[str, ...], fmt: str = "text") -> int:
        from gitops_runner.commands import state

        return state.read(c.session(), configs, what, fmt)


for _what, _doc in (("show", "Print the state document."),
                    ("list", "One line per pod in state."),
                    ("pull", "Print the raw state (for backups and `state push`)."),
                    ("history", "The last 100 operations on the state.")):
    _state_reader(_what, _doc)


@state.command("push")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@reads_stacks(sandbox=False)
def state_push(c: Ctx, file: str, configs: tuple[str, ...]) -> int:
    """Store FILE as the state (serial must exceed the stored one; same lineage)."""
    from gitops_runner.commands import state

    return state.push(c.session(), configs, file)


@state.command("rm")
@click.argument("address", metavar="POD|volume.NAME")
@reads_stacks(sandbox=False)
def state_rm(c: Ctx, address: str, configs: tuple[str, ...]) -> int:
    """Forget POD, or every copy of network volume NAME (RunPod is not touched)."""
    from gitops_runner.commands import state

    return state.rm(c.session(), configs, address)


@state.command("import")
@click.argument("address", metavar="POD|volume.NAME")
@click.argument("runpod_id", metavar="ID")
@reads_stacks()
def state_import(c: Ctx, address: str, runpod_id: str, configs: tuple[str, ...]) -> int:
    """Record existing RunPod pod ID as POD, or network volume ID as volume NAME's copy in
    its data center (it keeps its name)."""
    from gitops_runner.commands import state

    return state.import_pod(c.session(), configs, address, runpod_id)


@cli.group()
def preview() -> None:
    """Per-pull-request preview stacks (the Action deploys them)."""


@preview.command("list")
@reads_stacks("text", "json")
def preview_list(c: Ctx, configs: tuple[str, ...], fmt: str) -> int:
    """Live previews of the stacks: pull request, pods, age, TTL and $/h."""
    from gitops_runner.commands import preview

    return preview.list_previews(c.session(), configs, fmt)


@cli.group()
def lock() -> None:
    """Who holds the stacks' locks."""


@lock.command("list")
@reads_stacks("text", "json", sandbox=False)
def lock_list(c: Ctx, configs: tuple[str, ...], fmt: str) -> int:
    """One line per stack: its lock holder, if any, and whether its lease expired."""
    from gitops_runner.commands import lock

    return lock.show(c.session(), configs, detailed=False, fmt=fmt)


@lock.command("show")
@reads_stacks("text", "json", sandbox=False)
def lock_show(c: Ctx, configs: tuple[str, ...], fmt: str) -> int:
    """Every detail of the stacks' locks."""
    from gitops_runner.commands import lock

    return lock.show(c.session(), configs, detailed=True, fmt=fmt)


@cli.command("force-unlock")
@click.argument("lock_id")
@reads_stacks(sandbox=False)
@click.option("--if-run-finished", is_flag=True,
              help="Only if the GitHub Actions run holding the lock has finished.")
def force_unlock(c: Ctx, lock_id: str, configs: tuple[str, ...], if_run_finished: bool) -> int:
    """Remove a stale lock, only if LOCK_ID matches its holder."""
    from gitops_runner.commands import lock

    return lock.force_unlock(c.session(), configs, lock_id, if_run_finished)
