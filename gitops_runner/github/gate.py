"""The event gate (CONTRACT §8): which events may change RunPod, and what `auto` means.

Pure: event × ref × command × reconcile × fork in, a Decision out. Only a push to the
default branch and a schedule/workflow_dispatch run on the default branch may apply,
destroy, schedule or reconcile, whatever the inputs say; anything else that asks is
refused (exit 1) with the reason, and runs nothing. The one exception, decided by
decide_preview: a same-repository pull request's own preview stacks (CONTRACT §12).
"""

from __future__ import annotations

from dataclasses import dataclass

COMMANDS = ("auto", "validate", "plan", "preview", "apply", "drift", "schedule", "destroy")
CHANGING = frozenset({"apply", "destroy", "schedule"})
TRUSTED_EVENTS = frozenset({"push", "schedule", "workflow_dispatch"})


@dataclass(frozen=True)
class Decision:
    command: str  # validate | plan | apply | drift | destroy | schedule | nothing
    review: bool = False  # apply only what the merged pull request's plan comment showed
    reconcile: bool = False  # drift heals by applying
    drift_issues: bool = False  # open/close drift issues (default branch only)
    refusal: str = ""  # set: exit 1, nothing runs
    note: str = ""  # said in the log and the job summary
    sweep_previews: bool = False  # destroy previews whose pull request closed or TTL passed
    schedule: bool = False  # start/stop pods to match their windows before drift (§11)

    @property
    def may_change(self) -> bool:
        return self.command in CHANGING or self.reconcile or self.schedule


def decide(event: str, ref: str, default_branch: str, command: str, reconcile: bool,
           fork: bool = False, action: str = "") -> Decision:
    if command not in COMMANDS:
        return Decision("nothing", refusal=f"unknown command {command!r}; use one of "
                                           + ", ".join(COMMANDS))
    if event == "pull_request_target":
        return Decision("nothing", refusal=(
            "gitops-runner does not run on pull_request_target: it would hand a pull "
            "request's files the base repository's secrets. Use the pull_request event"))
    default_ref = f"refs/heads/{default_branch}"
    trusted = event in TRUSTED_EVENTS and ref == default_ref
    if not trusted and (command in CHANGING or reconcile):
        asked = f"command: {command}" if command in CHANGING else "reconcile: true"
        return Decision("nothing", refusal=(
            f"refusing {asked} on a {event or 'unknown'} event for {ref or 'no ref'}: only a "
            f"push to {default_ref} and schedule/workflow_dispatch runs on {default_ref} may "
            "change RunPod; pull requests are applied when they are merged"))
    if command == "auto":
        if event == "pull_request" and action == "closed":
            return _closed(fork)
        return _auto(event, ref, default_ref, trusted, reconcile, fork)
    if command == "plan" and fork:
        return _fork()
    if command == "preview":
        return _preview_only(event, fork, trusted)
    if command == "apply":
        return Decision("apply")  # the explicit opt-in: no review check (direct pushes)
    if command == "drift":
        return Decision("drift", reconcile=reconcile, drift_issues=trusted)
    return Decision(command)


def _fork() -> Decision:
    return Decision("validate", note=(
        "Pull request from a fork: GitHub gives it no secrets and a read-only token, so "
        "the deploy files were validated only, not planned. A maintainer can plan it by "
        "pushing the branch to this repository."))


def _preview_only(event: str, fork: bool, trusted: bool) -> Decision:
    """`command: preview`: previews and nothing else, in a job of their own (its own
    environment and key; CONTRACT §8 "Keys, least privilege"): a pull request's previews,
    or, on a schedule run of the default branch, the sweep (the preview key may be the
    only one that sees preview pods: a separate RunPod account)."""
    if event in ("schedule", "workflow_dispatch") and trusted:
        return Decision("sweep", sweep_previews=True)
    if event != "pull_request":
        return Decision("nothing", note=f"command: preview acts on pull_request events and "
                                        f"default-branch schedule runs, not "
                                        f"{event or 'this event'}.")
    if fork:
        return Decision("nothing", note="Pull request from a fork: previews are never "
                                        "deployed for forks.")
    return Decision("preview")


def _auto(event: str, ref: str, default_ref: str, trusted: bool, reconcile: bool,
          fork: bool) -> Decision:
    if event == "pull_request":
        return _fork() if fork else Decision("plan")
    if event == "merge_group":
        return Decision("plan")
    if event == "push":
        if trusted:
            return Decision("apply", review=True)
        return Decision("nothing", note=f"Nothing to do: the push to `{ref}` is not to "
                                        f"`{default_ref}`.")
    if event in ("schedule", "workflow_dispatch"):
        note = "" if trusted else (f"`{ref}` is not `{default_ref}`: drift is reported "
                                   "here only; drift issues are left alone.")
        return Decision("drift", reconcile=reconcile, drift_issues=trusted, note=note,
                        sweep_previews=trusted, schedule=trusted)
    return Decision("nothing", note=f"Nothing to do for the `{event}` event.")


def _closed(fork: bool) -> Decision:
    if fork:
        return Decision("nothing", note="Pull request from a fork closed: it never had a "
                                        "preview, so there is nothing to do.")
    return Decision("preview", note="Pull request closed: its preview stacks are destroyed; "
                                    "nothing else runs (the merge's push applies the stacks).")


# -- previews (CONTRACT §12): the one thing a pull request may apply -----------------------
PREVIEW_APPLY = frozenset({"opened", "labeled"})
# New commits, or a pull request back from closed (whose head may have moved meanwhile):
# the label approved an earlier commit, so it is taken off and nothing is applied.
PREVIEW_REVOKE = frozenset({"synchronize", "reopened"})


@dataclass(frozen=True)
class PreviewDecision:
    action: str = ""  # apply | revoke | destroy | "" (leave the preview alone)
    note: str = ""


def decide_preview(event: str, action: str, command: str, fork: bool,
                   labels: frozenset[str], label: str) -> PreviewDecision:
    """One stack's preview on one pull request event. `label` is the default branch's
    policy's. Only a same-repository pull request carrying it gets one applied (adding a
    label needs triage rights: it is the approval, of one commit: a push revokes it);
    unlabeling or closing destroys it. Forks never: they have no secrets, and a fork's
    files must never reach RunPod with ours."""
    if event != "pull_request" or command not in ("auto", "preview"):
        return PreviewDecision()
    if fork:
        if label in labels:
            return PreviewDecision(note=(
                f"This pull request carries the `{label}` label, but it comes from a fork: "
                "previews are never deployed for forks. Push the branch to this repository "
                "to get a preview."))
        return PreviewDecision()
    if action == "closed" or (action == "unlabeled" and label not in labels):
        return PreviewDecision("destroy")
    if action in PREVIEW_REVOKE and label in labels:
        return PreviewDecision("revoke")
    if action in PREVIEW_APPLY and label in labels:
        return PreviewDecision("apply")
    return PreviewDecision()
