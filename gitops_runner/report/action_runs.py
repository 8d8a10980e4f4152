"""What each Action event handler returns (plan, drift, schedule, destroy), and how it
reads in the job summary, the step outputs and the pull request comment (CONTRACT §8).

The handlers (commands/action_*.py) return these values; one place (commands/action_run.py
`publish`) turns them into summary, outputs and comment. Pure: redaction is the caller's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gitops_runner.output import neutralise_markdown as safe
from gitops_runner.plan.drift import StackDrift
from gitops_runner.plan.model import Plan
from gitops_runner.plan.previews import LivePreview
from gitops_runner.plan.schedule import ScheduleResult
from gitops_runner.report import action as report
from gitops_runner.report.comment import StackSection
from gitops_runner.report.drift import has_drift
from gitops_runner.report.plan import render_markdown
from gitops_runner.report.schedule import render_schedule


def gate_note(text: str) -> str:
    """The gate's own words (github/gate.py), plain text, atop the summary."""
    return text + "\n"


# -- plan on a pull request ------------------------------------------------------------------
@dataclass(frozen=True)
class StackPlanned:
    """One stack's plan, or why there is none (its state could not be read)."""

    stack: str
    plan: Plan | None
    error: str = ""


@dataclass(frozen=True)
class PlanRun:
    stacks: tuple[StackPlanned, ...]
    sandbox: bool  # the plan was made against the sandbox (said in each section)
    plan_json: str  # the plan file's path, for later steps

    @property
    def plans(self) -> tuple[Plan, ...]:
        return tuple(s.plan for s in self.stacks if s.plan is not None)

    @property
    def failed(self) -> tuple[StackPlanned, ...]:
        return tuple(s for s in self.stacks if s.plan is None)

    @property
    def violations(self) -> tuple[str, ...]:
        return tuple(v for p in self.plans for v in p.violations)

    @property
    def ok(self) -> bool:
        return not (self.violations or self.failed)


def plan_sections(result: PlanRun) -> list[StackSection]:
    """Each stack's comment section: planned stacks first, each with its fingerprint; one
    not planned has none, so its merge applies nothing (CONTRACT §10)."""
    sections = [StackSection(p.stack, p.fingerprint,
                             report.plan_section(render_markdown(p, result.sandbox)),
                             brief=report.plan_brief(p)) for p in result.plans]
    return sections + [StackSection(s.stack, None, report.not_planned(s.stack, s.error),
                                    brief="not planned.") for s in result.failed]


def plan_outputs(result: PlanRun) -> dict[str, str]:
    plans = result.plans
    return {"has-changes": str(any(p.has_changes for p in plans)).lower(),
            "plan-json": result.plan_json,
            "summary": report.plan_summary(
                sum(len(p.actions) + len(p.volume_actions) for p in plans),
                len(plans), len(result.violations))}


def comment_preamble(invalid: str) -> str:
    """The validation problems atop the plan comment, defused."""
    return safe(invalid)


# -- drift (and reconcile) on a schedule ---------------------------------------------------
@dataclass(frozen=True)
class DriftRun:
    results: tuple[StackDrift, ...]
    orphans: tuple[LivePreview, ...] = ()
    reconciled: report.AppliedRun | None = None  # reconcile's apply, when it ran

    @property
    def drifted(self) -> bool:
        return has_drift(self.results, self.orphans)

    @property
    def errors(self) -> bool:
        """A stack that could not be checked; the others were (CONTRACT §10)."""
        return any(r.error for r in self.results)


def drift_outputs(result: DriftRun) -> dict[str, str]:
    results, orphans = result.results, result.orphans
    return {"has-drift": str(result.drifted).lower(),
            "summary": f"{sum(1 for r in results if r.findings)} of {len(results)} "
                       "stack(s) drifted"
                       + (f", {len(orphans)} orphaned preview(s)" if orphans else "")}


def drift_markdown(result: DriftRun) -> str:
    return report.drift(result.results, result.orphans)


def drift_issue(stack: StackDrift) -> str:
    """One stack's drift issue body (before the run link)."""
    return report.drift([stack])


# -- schedule and destroy -----------------------------------------------------------------
@dataclass(frozen=True)
class ScheduleRun:
    results: tuple[ScheduleResult, ...]

    @property
    def ok(self) -> bool:
        return not any(r.failed for r in self.results)


def schedule_text(result: ScheduleRun) -> str:
    return render_schedule(result.results, "text")


def schedule_markdown(result: ScheduleRun) -> str:
    return report.schedule_block(schedule_text(result))


@dataclass(frozen=True)
class StackDestroyed:
    stack: str
    terminated: int
    failures: tuple[str, ...] = ()


@dataclass(frozen=True)
class DestroyRun:
    stacks: tuple[StackDestroyed, ...]
    error: str = ""  # what stopped the run before the next stack (those done are shown)

    @property
    def ok(self) -> bool:
        return not (self.error or any(s.failures for s in self.stacks))


def destroyed_lines(result: DestroyRun) -> Sequence[str]:
    """One summary line per stack (the summary output is the first)."""
    return [report.destroyed(s.stack, s.terminated, len(s.failures)) for s in result.stacks]
