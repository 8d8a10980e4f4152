"""destroy: terminate every managed pod of the stacks and empty their state."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gitops_runner.engine.destroy import destroy_stack
from gitops_runner.engine.session import Session
from gitops_runner.errors import GitopsError


def run(session: Session, configs: Sequence[str],
        ask: Callable[[str], bool] | None = None) -> int:
    stacks = session.stacks(configs)
    names = ", ".join(s.name for s in stacks)
    if ask is not None and not ask(f"Terminate every pod of {names}?"):
        return 1
    ok = True
    with session.runpod(stacks) as access:
        for stack in stacks:
            # One stack's failure (lock held, state error) does not stop the others.
            try:
                count, failures = destroy_stack(session, stack, access)
            except GitopsError as exc:
                session.log(f"error: {stack.name}: {exc}")
                session.out.report(f"{stack.name}: failed: {exc}")
                ok = False
                continue
            session.out.report(f"{stack.name}: {count} pod(s) terminated, state emptied"
                               if not failures else f"{stack.name}: {len(failures)} pod(s) "
                               "could not be terminated: " + "; ".join(failures))
            ok = ok and not failures
    return 0 if ok else 1
