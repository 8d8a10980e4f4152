"""apply: lock, re-observe, re-plan, execute with bounded parallelism, journal,
retry failed actions after a fresh observation, unlock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops_runner.config.model import Stack
from gitops_runner.engine import rollout
from gitops_runner.engine.clock import utcnow
from gitops_runner.engine.executor import Executor, Outcome
from gitops_runner.engine.journal import Journal, open_journal
from gitops_runner.engine.lock import held_lock
from gitops_runner.engine.observe import observe
from gitops_runner.engine.session import RunPodAccess, Session
from gitops_runner.engine.watch import PodWatcher
from gitops_runner.errors import GitopsError
from gitops_runner.plan.build import make_plan
from gitops_runner.plan.model import Plan
from gitops_runner.report.plan import money
from gitops_runner.state.base import LockInfo


class StalePlanError(GitopsError):
    pass


class PlanChangedError(GitopsError):
    """The plan made under the lock is not the one reviewed in the pull request."""

    def __init__(self, stack: str, reviewed: str, now: str) -> None:
        self.reviewed, self.now = reviewed, now
        super().__init__(f"{stack}: plan changed since review (reviewed {reviewed[:12]}, now "
                         f"{now[:12]}); refusing to apply it. Re-run the pull request's plan "
                         "and review it again")


@dataclass(frozen=True)
class ApplyOptions:
    parallelism: int = 8
    max_attempts: int = 3
    poll_seconds: float | None = None  # None: as often as the RunPod access suggests
    operation: str = "apply"


@dataclass
class ApplyResult:
    stack: str
    converged: bool
    outcomes: list[Outcome] = field(default_factory=list)
    unchanged: int = 0
    cost_now: float = 0.0
    violations: tuple[str, ...] = ()
    refused: bool = False
    fingerprint: str = ""

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.ok and o.action == action)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def summary(self) -> str:
        return (f"{self.stack}: {self.count('create')} created, {self.count('update')} updated, "
                f"{self.count('replace')} replaced, {self.count('delete')} deleted, "
                f"{self.count('adopt')} adopted, "
                + "".join(f"{self.count(kind)} {done}, " for kind, done in
                          (("start", "started"), ("stop", "stopped")) if self.count(kind))
                + f"{self.unchanged} unchanged, "
                f"{len(self.failed)} failed; now {money(self.cost_now)}"
                + ("" if self.converged else " — NOT converged"))


def _check_stale(saved: Plan, fresh: Plan) -> None:
    problems = []
    if saved.stack != fresh.stack:
        problems.append(f"the plan is for {saved.stack}, not {fresh.stack}")
    if saved.serial != 0 and (saved.lineage, saved.serial) != (fresh.lineage, fresh.serial):
        problems.append(f"state moved from serial {saved.serial} to {fresh.serial}")
    if saved.serial == 0 and fresh.serial != 0:
        problems.append(f"state was written since the plan (serial now {fresh.serial})")
    if saved.observed_fingerprint != fresh.observed_fingerprint:
        problems.append("the pods on RunPod changed")
    if saved.fingerprint != fresh.fingerprint:
        problems.append(f"the actions differ (plan {saved.fingerprint[:12]}, now "
                        f"{fresh.fingerprint[:12]})")
    if problems:
        raise StalePlanError(f"stale plan for {fresh.stack}: " + "; ".join(problems)
                             + ". Run plan again and apply the new plan")


def apply_stack(session: Session, stack: Stack, access: RunPodAccess,
                secrets: Mapping[str, str], options: ApplyOptions,
                saved: Plan | None = None,
                confirm: Callable[[Plan], bool] | None = None,
                reviewed: str | None = None) -> ApplyResult:
    """Under the stack's lock: re-plan, check it against `saved` (a plan file) or
    `reviewed` (the fingerprint a pull request showed), execute, journal, retry."""
    store, locker = session.backend(stack)
    info = LockInfo.new(options.operation, stack.name, session.identity)
    with held_lock(locker, info, stack.state.lock.wait_seconds, session.log):
        journal = open_journal(store, stack, session.clock, saved.lineage if saved else None)
        return _apply_locked(session, stack, journal, access, secrets, options, saved,
                             confirm, reviewed)


def _apply_locked(session: Session, stack: Stack, journal: Journal, access: RunPodAccess,
                  secrets: Mapping[str, str], options: ApplyOptions, saved: Plan | None,
                  confirm: Callable[[Plan], bool] | None, reviewed: str | None) -> ApplyResult:
    client, log = access.client, session.log
    result = ApplyResult(stack.name, converged=False)
    poll = options.poll_seconds if options.poll_seconds is not None else access.poll_seconds
    executor = Executor(client, journal, stack.name, secrets, access.proxy_url, log,
                        poll_seconds=poll, clock=session.clock,
                        writes=threading.Semaphore(options.parallelism),
                        watcher=PodWatcher(client, session.clock))
    catalog: list[dict[str, Any]] | None = None  # prices do not move within one run
    for attempt in range(1, options.max_attempts + 2):
        seen = observe(client, with_catalog=catalog is None)
        catalog = seen.catalog if catalog is None else catalog
        plan = make_plan(stack, journal.doc, seen.pods, catalog, secrets,
                         utcnow(session.clock))
        if attempt == 1:
            result.fingerprint = plan.fingerprint
            result.unchanged = len(plan.unchanged)
            if saved is not None:
                _check_stale(saved, plan)
            if reviewed is not None and reviewed != plan.fingerprint:
                raise PlanChangedError(stack.name, reviewed, plan.fingerprint)
        result.cost_now = plan.cost_after
        if plan.violations:
            result.violations = plan.violations
            log(f"{stack.name}: refusing to apply, guardrails violated:")
            for violation in plan.violations:
                log(f"  x {violation}")
            break
        if not plan.actions:
            result.converged = True
            break
        if attempt == 1 and confirm is not None and not confirm(plan):
            result.refused = True
            break
        if attempt > options.max_attempts:
            break
        if attempt > 1:
            log(f"{stack.name}: attempt {attempt} of {options.max_attempts}, "
                f"{len(plan.actions)} action(s) left after a fresh look at RunPod")
        outcomes = rollout.execute(executor, plan.actions)
        result.outcomes.extend(outcomes)
        if any(not o.ok and not o.retry for o in outcomes):
            break
    result.cost_now = sum(r.cost for r in journal.doc.pods.values())
    status = "converged" if result.converged else ("refused" if result.refused or
                                                   result.violations else "failed")
    if journal.writes:
        # A run that changed nothing writes nothing, so saved plans stay valid.
        journal.history(session.identity.actor, options.operation, result.fingerprint, status)
    return result
