"""destroy: terminate every managed pod of the stacks and empty their state."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gitops_runner.engine.destroy import destroy_stack
from gitops_runner.engine.session import Session


def run(session: Session, configs: Sequence[str],
        ask: Callable[[str], bool] | None = None) -> int:
    stacks = session.stacks(configs)
    names = ", ".join(s.name for s in stacks)
    if ask is not None and not ask(f"Terminate every pod of {names}?"):
        return 1
    ok = True
    with session.runpod(stacks) as access:
        for stack in stacks:
            count, failures = destroy_stack(session, stack, access)
            session.out.report(f"{stack.name}: {count} pod(s) terminated, state emptied"
                               if not failures else f"{stack.name}: {len(failures)} pod(s) "
                               "could not be terminated: " + "; ".join(failures))
            ok = ok and not failures
    return 0 if ok else 1
