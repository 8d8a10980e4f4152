"""apply: lock, re-observe, re-plan, execute with bounded parallelism, journal,
retry failed actions after a fresh observation, unlock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from gitops_runner.config.model import Stack
from gitops_runner.engine import rollout
from gitops_runner.engine.endpoints import EndpointOutcome, EndpointRunner
from gitops_runner.engine.executor import Executor, Outcome
from gitops_runner.engine.fence import Fence
from gitops_runner.engine.journal import Journal
from gitops_runner.engine.locked import locked
from gitops_runner.engine.network_volumes import VolumeOutcome, around_pods
from gitops_runner.engine.observe import observe, serverless_for, stock_cloud
from gitops_runner.engine.progress import WaitProgress
from gitops_runner.engine.session import RunPodAccess, Session
from gitops_runner.engine.watch import PodWatcher
from gitops_runner.errors import GitopsError
from gitops_runner.plan.build import make_plan
from gitops_runner.plan.endpoint_diff import EndpointAction
from gitops_runner.plan.model import ActionKind, Plan, PlanAction
from gitops_runner.plan.network_volumes import VolumeAction, needs_volumes
from gitops_runner.plan.records import stack_declared
from gitops_runner.report.plan import money


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


@dataclass(frozen=True)
class Approval:
    """What an apply holds its fresh plan to: a saved plan file (`apply PLANFILE`), the
    fingerprint a pull request's comment showed (the Action), or a person's yes at the
    prompt. None of them: apply what the plan says (`--auto-approve`, previews)."""

    saved: Plan | None = None
    reviewed: str | None = None
    confirm: Callable[[Plan], bool] | None = None


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
    stopped: str = ""  # why the run stopped making changes (lock lost, new plan needed)
    # Reported after the summary (and the CLI's failure lines), never instead of them.
    unlock_errors: list[str] = field(default_factory=list)
    volume_outcomes: list[VolumeOutcome] = field(default_factory=list)  # CONTRACT §14
    endpoint_outcomes: list[EndpointOutcome] = field(default_factory=list)

    def count(self, action: str) -> int:
        """Done actions of this kind; a pod stopped once created or updated (declared
        stopped, or outside its windows) counts as a stop too."""
        return sum(1 for o in self.outcomes if o.ok and (
            o.action == action or (action == "stop" and o.stopped_after)))

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok] + [
            Outcome(f"volume {v.volume} [{v.data_center}]", v.action, False, v.detail)
            for v in self.volume_outcomes if not v.ok]

    @property
    def endpoints_failed(self) -> list[EndpointOutcome]:
        return [o for o in self.endpoint_outcomes if not o.ok]

    def summary(self, unlock: bool = True) -> str:
        """unlock=False leaves out the unlock errors, for a caller that lists them last."""
        return (f"{self.stack}: {self.count('create')} created, {self.count('update')} updated, "
                f"{self.count('replace')} replaced, {self.count('delete')} deleted, "
                f"{self.count('adopt')} adopted, "
                + "".join(f"{self.count(kind)} {done}, " for kind, done in
                          (("start", "started"), ("stop", "stopped")) if self.count(kind))
                + "".join(f"{n} volume(s) {done}, " for kind, done in
                          (("move", "renamed"), ("create", "created"), ("grow", "grown"),
                           ("delete", "deleted"))
                          if (n := sum(1 for v in self.volume_outcomes
                                       if v.ok and v.action == kind)))
                + f"{self.unchanged} unchanged, "
                f"{len(self.failed)} failed; now {money(self.cost_now)}"
                + endpoint_summary(self.endpoint_outcomes)
                + ("" if self.converged else " — cancelled at the prompt: nothing was applied"
                   if self.refused and not self.violations else " — NOT converged")
                + (f"\n  stopped: {self.stopped}" if self.stopped else "")
                + ("".join(f"\n  {e}" for e in self.unlock_errors) if unlock else ""))


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


# What a retry may do for a pod, by what the reviewed plan did for it (CONTRACT §10).
_FOLLOW_UPS = {
    "create": {"create", "adopt", "update", "delete"},
    "replace": {"replace", "create", "adopt", "update", "delete"},
    "update": {"update", "adopt"},
    "adopt": {"adopt", "update"},
    "delete": {"delete"},
    "start": {"start", "update", "adopt"},
    "stop": {"stop", "update", "adopt"},
}


def _writes_nothing(a: PlanAction) -> bool:
    """Waiting for a pod's readiness again (after a lagging read, or a failed check)
    changes nothing on RunPod: a retry may do it without a new review."""
    return (a.action in ("update", "adopt") and not a.patch_fields and not a.start
            and not a.stop_after and not a.state_only)


def unreviewed(reviewed: tuple[PlanAction, ...], now: tuple[PlanAction, ...]) -> list[PlanAction]:
    """Actions of a retry's fresh plan that the reviewed plan did not contain."""
    kinds: dict[str, set[str]] = {}
    for a in reviewed:
        kinds.setdefault(a.pod, set()).add(a.action)
    new = []
    for a in now:
        done = kinds.get(a.pod, set())
        # A kind this table does not know may only repeat itself: fail closed.
        allowed = set().union(*(_FOLLOW_UPS.get(k, {k}) for k in done)) if done else set()
        # Terminating a pod is reviewed only as a delete, or as the clean-up after a
        # reviewed create/replace (a duplicate or the replaced pod, after the new one).
        sneaky = (a.action == "delete" and a.pod_id is not None and "delete" not in done
                  and a.wait_for is None)
        if (a.action not in allowed or sneaky) and not _writes_nothing(a):
            new.append(a)
    return new


def endpoints_unreviewed(reviewed: tuple[EndpointAction, ...],
                         now: tuple[EndpointAction, ...]) -> list[PlanAction]:
    """A retry may repeat a reviewed endpoint action (or wait again), nothing else."""
    kinds = {(a.endpoint, a.action) for a in reviewed}
    follow = {("create", "update"), ("update", "update"), ("delete", "delete")}
    new = []
    for a in now:
        if a.change == "wait" or (a.endpoint, a.action) in kinds:
            continue
        if any((r.action, a.action) in follow for r in reviewed if r.endpoint == a.endpoint):
            continue
        new.append(PlanAction(f"endpoint {a.endpoint}", ActionKind(a.action),
                              notes=tuple(a.reasons)))
    return new


def volumes_unreviewed(reviewed: tuple[VolumeAction, ...],
                       now: tuple[VolumeAction, ...]) -> list[PlanAction]:
    """A retry may repeat a reviewed volume action (same volume, data center and action),
    nothing else: a volume that went missing between attempts is not made again unreviewed."""
    kinds = {(a.volume, a.data_center, a.action) for a in reviewed}
    return [PlanAction(f"volume {a.volume} [{a.data_center}]", ActionKind(
                "create" if a.action == "create" else "delete" if a.action == "delete"
                else "update"), notes=tuple(a.reasons))
            for a in now if (a.volume, a.data_center, a.action) not in kinds]


def endpoint_summary(outcomes: list[EndpointOutcome]) -> str:
    if not outcomes:
        return ""
    done = [o for o in outcomes if o.ok]
    parts = [f"{sum(1 for o in done if o.action == k)} {w}" for k, w in
             (("create", "created"), ("update", "updated"), ("delete", "deleted"))]
    return f"; endpoints: {', '.join(parts)}, {len(outcomes) - len(done)} failed"


def apply_stack(session: Session, stack: Stack, access: RunPodAccess,
                secrets: Mapping[str, str], options: ApplyOptions,
                approval: Approval = Approval()) -> ApplyResult:
    """Under the stack's lock: re-plan, check it against the approval (a plan file, the
    fingerprint a pull request showed, or a confirmation), execute, journal, retry."""
    saved = approval.saved
    with locked(session, stack, options.operation, lineage=saved.lineage if saved else None,
                unlock_errors=[]) as flow:
        run = _Run(session, stack, flow.journal, flow.fence, access, secrets, options,
                   ApplyResult(stack.name, converged=False))
        result = _apply_locked(run, approval)
    result.unlock_errors = flow.unlock_errors  # reported after the result, never instead
    return result


@dataclass
class _Run:
    """One apply of one stack under its lock: the reviewed plan, the attempts, the result."""

    session: Session
    stack: Stack
    journal: Journal
    fence: Fence
    access: RunPodAccess
    secrets: Mapping[str, str]
    options: ApplyOptions
    result: ApplyResult
    reviewed_actions: tuple[PlanAction, ...] | None = None
    reviewed_endpoints: tuple[EndpointAction, ...] = ()
    reviewed_volumes: tuple[VolumeAction, ...] = ()

    def endpoint_runner(self) -> EndpointRunner:
        """Endpoints (CONTRACT §14): their writes go through the fenced client."""
        poll = (self.options.poll_seconds if self.options.poll_seconds is not None
                else self.access.poll_seconds)
        return EndpointRunner(self.access.client.guarded(self.fence), self.journal,
                              self.stack.name, self.secrets, self.session.clock,
                              self.session.log, poll, self.fence)

    def executor(self) -> Executor:
        client, clock = self.access.client, self.session.clock
        poll = (self.options.poll_seconds if self.options.poll_seconds is not None
                else self.access.poll_seconds)
        # Waits report every pod's progress; off a terminal only its changes of phase.
        waits = WaitProgress(self.session.log, self.session.out.err_is_tty())
        return Executor(client, self.journal, self.stack.name, self.secrets,
                        self.access.proxy_url, waits, self.fence, poll_seconds=poll,
                        clock=clock, writes=threading.Semaphore(self.options.parallelism),
                        watcher=PodWatcher(client, clock))

    def first_look(self, plan: Plan, saved: Plan | None, reviewed: str | None) -> None:
        self.result.fingerprint = plan.fingerprint
        self.result.unchanged = len(plan.unchanged)
        if saved is not None:
            _check_stale(saved, plan)
        if reviewed is not None and reviewed != plan.fingerprint:
            raise PlanChangedError(self.stack.name, reviewed, plan.fingerprint)
        self.reviewed_actions = saved.actions if saved is not None else plan.actions
        self.reviewed_endpoints = (saved or plan).endpoint_actions
        self.reviewed_volumes = (saved or plan).volume_actions

    def may_go_on(self, plan: Plan, attempt: int,
                  confirm: Callable[[Plan], bool] | None) -> bool:
        """Whether this attempt's plan is one to carry out (else the result says why not)."""
        log, result = self.session.log, self.result
        new = (unreviewed(self.reviewed_actions or (), plan.actions) + endpoints_unreviewed(
            self.reviewed_endpoints, plan.endpoint_actions) + volumes_unreviewed(
            self.reviewed_volumes, plan.volume_actions)) if attempt > 1 else []
        if new:
            result.stopped = ("a retry would do what the reviewed plan did not: " + ", ".join(
                f"{a.pod} {a.action}" for a in new) + "; run plan and review it again")
            log(f"{self.stack.name}: {result.stopped}")
            return False
        result.cost_now = plan.cost_after
        if plan.violations:
            result.violations = plan.violations
            log(f"{self.stack.name}: refusing to apply, guardrails violated:")
            for violation in plan.violations:
                log(f"  x {violation}")
            return False
        if attempt == 1 and plan.has_changes and confirm is not None and not confirm(plan):
            result.refused = True
            return False
        if plan.stack_changes:
            # The stack's own declared fields, reviewed with the plan: state only (§4).
            stack = self.stack
            self.journal.update(lambda doc: replace(doc, declared=stack_declared(stack)))
        if not plan.actions and not plan.endpoint_actions and not plan.volume_actions:
            result.converged = True
            return False
        return attempt <= self.options.max_attempts

    def keep_lineage(self, plan: Plan) -> None:
        """Before the first create of a stack that has no state yet, store the (empty)
        state: its lineage is on every pod it creates, and a create whose answer or
        journal entry is lost must be found again as ours, not as another state's (§5)."""
        if (not self.journal.existed and not self.journal.writes
                and any(a.action in ("create", "replace") for a in plan.actions)):
            self.journal.update(lambda doc: doc)

    def finish(self) -> ApplyResult:
        result, journal = self.result, self.journal
        if self.fence.lost:
            result.converged = False
            result.stopped = self.fence.message()
            self.session.log(f"error: {result.stopped}")
        result.cost_now = sum(r.cost for r in journal.doc.pods.values())
        status = "converged" if result.converged else ("refused" if result.refused or
                                                       result.violations else "failed")
        if journal.writes and not self.fence.lost:
            # A run that changed nothing writes nothing, so saved plans stay valid.
            journal.history(self.session.identity.actor, self.options.operation,
                            result.fingerprint, status)
        return result


def _apply_locked(run: _Run, approval: Approval) -> ApplyResult:
    session, stack, journal = run.session, run.stack, run.journal
    saved, reviewed, confirm = approval.saved, approval.reviewed, approval.confirm
    client = run.access.client
    executor = run.executor()
    endpoint_runner = run.endpoint_runner()
    catalog: list[dict[str, Any]] | None = None  # prices do not move within one run
    for attempt in range(1, run.options.max_attempts + 2):
        if run.fence.lost:
            break
        seen = observe(client, with_catalog=catalog is None, states=[journal.doc],
                       cloud=stock_cloud([stack]),
                       with_volumes=needs_volumes([stack], [journal.doc]))
        catalog = seen.catalog if catalog is None else catalog
        plan = make_plan(stack, journal.doc, seen.pods, catalog, run.secrets,
                         session.now(), stock_cloud([stack]), seen.volumes,
                         serverless=serverless_for(client, [stack], [journal.doc]))
        if attempt == 1:
            run.first_look(plan, saved, reviewed)
        if not run.may_go_on(plan, attempt, confirm):
            break
        if attempt > 1:
            session.log(f"{stack.name}: attempt {attempt} of {run.options.max_attempts}, "
                        f"{len(plan.actions) + len(plan.endpoint_actions) + len(plan.volume_actions)} "
                        "action(s) left "
                        "after a fresh look at RunPod")
        run.keep_lineage(plan)
        # Network volumes (CONTRACT §14) around the pods: made and grown before them.
        outcomes, volumes = around_pods(
            executor.writer, run.journal, plan.volume_actions, session.log,
            partial(rollout.execute, executor, plan.actions, session.cancel))
        run.result.outcomes.extend(outcomes)
        run.result.volume_outcomes.extend(volumes)
        # Endpoints after pods, each template before its endpoint (engine/endpoints.py).
        done = endpoint_runner.execute(plan.endpoint_actions)
        run.result.endpoint_outcomes.extend(done)
        if (any(not o.ok and not o.retry for o in outcomes)
                or any(not v.ok and not v.retry for v in volumes)
                or any(not o.ok and not o.retry for o in done)):
            break
    return run.finish()
