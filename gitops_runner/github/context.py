"""Everything the action needs from GitHub's environment, read in one place."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def _input(env: Mapping[str, str], name: str, default: str = "") -> str:
    # GitHub upper-cases input names and keeps hyphens: INPUT_GITHUB-TOKEN.
    for key in (f"INPUT_{name.upper()}", f"INPUT_{name.upper().replace('-', '_')}"):
        if env.get(key, "").strip():
            return env[key].strip()
    return default


def _flag(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "yes", "on")


DEFAULT_CONFIG = "deploy/*.yaml\ndeploy/*.yml"


@dataclass(frozen=True)
class ActionContext:
    event_name: str
    event: Mapping[str, Any]
    ref: str
    sha: str
    repository: str
    api_url: str
    server_url: str
    run_id: str
    command: str = "auto"
    config: str = DEFAULT_CONFIG
    github_token: str = ""
    runpod_api_key: str = ""
    comment: bool = True
    reconcile: bool = False
    output_file: str = ""
    summary_file: str = ""
    workspace: str = "."
    runner_temp: str = ""
    comment_author: str = "github-actions[bot]"

    @property
    def owner_repo(self) -> tuple[str, str]:
        owner, _, repo = self.repository.partition("/")
        return owner, repo

    @property
    def run_url(self) -> str:
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    @property
    def default_branch(self) -> str:
        repo = self.event.get("repository") or {}
        if repo.get("default_branch"):
            return str(repo["default_branch"])
        if self.event_name == "schedule" and self.ref.startswith("refs/heads/"):
            # GitHub's schedule payload carries no repository, and scheduled workflows
            # run only on the default branch: the ref is it.
            return self.ref.removeprefix("refs/heads/")
        return "main"

    @property
    def config_patterns(self) -> list[str]:
        """The `config` input: one or more globs, one per line (`**` recursive)."""
        return [line.strip() for line in self.config.splitlines() if line.strip()]

    @property
    def is_fork(self) -> bool:
        """A pull request whose head lives in another repository (or a deleted one):
        GitHub gives its runs no secrets, no OIDC token and a read-only GITHUB_TOKEN."""
        pr = self.event.get("pull_request")
        if self.event_name not in ("pull_request", "pull_request_target") or not pr:
            return False
        head_repo = (pr.get("head") or {}).get("repo")
        if head_repo is None:
            return "head" in pr  # the fork was deleted: still not ours
        # Not head.repo.fork: that is also true for a same-repository pull request in a
        # repository that is itself a fork.
        return str(head_repo.get("full_name") or "") != self.repository

    @property
    def event_action(self) -> str:
        """The event's activity type: opened, synchronize, labeled, closed..."""
        return str(self.event.get("action") or "")

    @property
    def pull_labels(self) -> frozenset[str]:
        pr = self.event.get("pull_request") or {}
        return frozenset(str(label.get("name")) for label in pr.get("labels") or []
                         if isinstance(label, dict))

    @property
    def head_sha(self) -> str:
        """The pull request's head commit: the one a preview label approves."""
        pr = self.event.get("pull_request") or {}
        return str((pr.get("head") or {}).get("sha") or "")

    @property
    def pull_number(self) -> int | None:
        pr = self.event.get("pull_request") or {}
        number = pr.get("number") or self.event.get("number")
        return int(number) if number else None


def read_context(env: Mapping[str, str]) -> ActionContext:
    """The action's inputs and event, from the environment GitHub Actions sets."""
    event: dict[str, Any] = {}
    path = env.get("GITHUB_EVENT_PATH", "")
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            try:
                event = json.load(handle)
            except ValueError:
                event = {}
    return ActionContext(
        event_name=env.get("GITHUB_EVENT_NAME", ""), event=event,
        ref=env.get("GITHUB_REF", ""), sha=env.get("GITHUB_SHA", ""),
        repository=env.get("GITHUB_REPOSITORY", ""),
        api_url=env.get("GITHUB_API_URL", "https://api.github.com"),
        server_url=env.get("GITHUB_SERVER_URL", "https://github.com"),
        run_id=env.get("GITHUB_RUN_ID", ""),
        command=_input(env, "command", "auto"), config=_input(env, "config", DEFAULT_CONFIG),
        github_token=_input(env, "github-token", env.get("GITHUB_TOKEN", "")),
        runpod_api_key=_input(env, "runpod-api-key", env.get("RUNPOD_API_KEY", "")),
        comment=_flag(_input(env, "comment", "true")),
        reconcile=_flag(_input(env, "reconcile", "false")),
        comment_author=_input(env, "comment-author", "github-actions[bot]"),
        output_file=env.get("GITHUB_OUTPUT", ""), summary_file=env.get("GITHUB_STEP_SUMMARY", ""),
        workspace=env.get("GITHUB_WORKSPACE", "."), runner_temp=env.get("RUNNER_TEMP", ""),
    )
