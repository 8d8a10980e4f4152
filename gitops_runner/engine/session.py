"""One Session per run: everything a command needs from the outside world, built once.

The process environment is read here and in cli/, nowhere below: the engine gets
the RunPod client, the secret values, the run's identity, a clock, a logger and the
state backends from the Session.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gitops_runner.config.model import SecretRef, Stack
from gitops_runner.engine.clock import Clock, SystemClock, parse_rfc3339, utcnow
from gitops_runner.errors import GitopsError, UsageError
from gitops_runner.http_session import http_session
from gitops_runner.output import Output, self_word
from gitops_runner.runpod.client import DEFAULT_API_URL, RunPodClient
from gitops_runner.state.base import Locker, RunIdentity, StateStore
from gitops_runner.state.factory import open_backend

if TYPE_CHECKING:
    from gitops_runner.runpod.simulator.store import FileStore
    from gitops_runner.runpod.simulator.world import World

DEFAULT_PROXY_URL = "https://{pod_id}-{port}.proxy.runpod.net"
SANDBOX_KEY = "sandbox-key"
SANDBOX_BANNER = "SANDBOX: talking to the built-in RunPod simulator, not RunPod."


@dataclass(frozen=True)
class RunPodSettings:
    api_url: str = DEFAULT_API_URL
    api_key: str = ""
    proxy_url: str = DEFAULT_PROXY_URL
    sandbox_boot_seconds: float = 3.0
    # The longest rate-limit wait a run sits out (with its lock held): CONTRACT §10.
    max_wait: float = 300.0


@dataclass(frozen=True)
class RunPodAccess:
    client: RunPodClient
    proxy_url: str
    sandbox: bool
    poll_seconds: float  # how often waits look at RunPod


def identity_from(env: Mapping[str, str]) -> RunIdentity:
    """The actor, commit and run URL GitHub Actions sets; user@host elsewhere."""
    if not env.get("GITHUB_ACTOR"):
        return RunIdentity.local()
    run_url = ""
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL") or "https://github.com"
        run_url = f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    return RunIdentity(env["GITHUB_ACTOR"], env.get("GITHUB_SHA", ""), "", run_url)


def _judged_at(env: Mapping[str, str], out: Output) -> datetime | None:
    text = env.get("GITOPS_RUNNER_NOW", "").strip()
    if not text:
        return None
    if env.get("GITHUB_ACTIONS") == "true":
        raise UsageError("GITOPS_RUNNER_NOW is refused in GitHub Actions: a real run judges "
                         "schedules and TTLs at the real time; unset it")
    at = parse_rfc3339(text, "GITOPS_RUNNER_NOW")
    out.log(f"GITOPS_RUNNER_NOW: schedules, idle stop and TTLs are judged at "
            f"{at.isoformat()} (lock leases keep the real clock)")
    return at


LOCAL_STATE_FIX = ("keep state in S3 instead: state: {backend: s3, bucket: B, lock: {backend: "
                   "dynamodb, table: T}} (gitops-runner init --backend s3 --bucket B --table T)")


def local_state_refusal(session: Session, stacks: Sequence[Stack], what: str) -> str:
    """Why `what` may not run here ("" when it may): local state in GitHub Actions."""
    local = [s.name for s in stacks if s.state.backend == "local"]
    if not local or not session.in_actions or session.sandbox:
        return ""
    return (f"{', '.join(local)} keep(s) state with backend: local, which vanishes with the "
            f"runner, so {what} changes nothing; {LOCAL_STATE_FIX}")


@dataclass
class Session:
    out: Output
    sandbox: bool = False
    runpod_settings: RunPodSettings = field(default_factory=RunPodSettings)
    identity: RunIdentity = field(default_factory=RunIdentity.local)
    clock: Clock = field(default_factory=SystemClock)
    # The process environment, read once (from_environ): {secret: NAME} values come
    # from it, and the Action reads its inputs and event from it.
    secret_source: Mapping[str, str] = field(default_factory=dict)
    github_api_url: str = "https://api.github.com"
    github_token: str = ""
    in_actions: bool = False
    # owner/name in GitHub Actions (GITHUB_REPOSITORY): stamped on preview pods, so one
    # repository's sweep never takes another's preview of a same-named project.
    repository: str = ""
    backends: Callable[[Stack, Callable[[str], None]], tuple[StateStore, Locker]] = open_backend
    # Set on SIGINT/SIGTERM: every wait ends and no RunPod request is sent after it.
    cancel: threading.Event = field(default_factory=threading.Event)
    # GITOPS_RUNNER_NOW (CONTRACT §3): the moment schedules, idle stop and TTLs are judged
    # at, for rehearsals and tests; lock leases keep `clock`, which other runners share.
    judged_at: datetime | None = None
    # Secrets already warned about (their value is one of the tool's own words).
    _warned: set[str] = field(default_factory=set, repr=False)

    @classmethod
    def from_environ(cls, env: Mapping[str, str] | None = None, out: Output | None = None,
                     sandbox: bool = False, clock: Clock | None = None,
                     cancel: threading.Event | None = None) -> Session:
        env = dict(os.environ if env is None else env)  # the one read of the environment
        out = out or Output()
        if "NO_COLOR" not in env and out.out.isatty():
            out.color = True
        settings = RunPodSettings(
            api_url=env.get("RUNPOD_API_URL") or DEFAULT_API_URL,
            api_key=env.get("RUNPOD_API_KEY", "").strip(),
            proxy_url=env.get("RUNPOD_PROXY_URL") or DEFAULT_PROXY_URL,
            sandbox_boot_seconds=float(env.get("GITOPS_RUNNER_SANDBOX_BOOT_SECONDS") or 3))
        out.add_secrets([settings.api_key])
        if env.get("GITHUB_ACTIONS") == "true":
            out.workflow_commands = True  # echoed text must not become workflow commands
        judged_at = _judged_at(env, out)
        return cls(out=out, sandbox=sandbox or env.get("GITOPS_RUNNER_SANDBOX") == "1",
                   runpod_settings=settings, identity=identity_from(env),
                   clock=clock or SystemClock(), secret_source=env,
                   github_api_url=env.get("GITHUB_API_URL") or "https://api.github.com",
                   github_token=env.get("GITHUB_TOKEN", ""),
                   in_actions=env.get("GITHUB_ACTIONS") == "true",
                   repository=env.get("GITHUB_REPOSITORY", "").strip(),
                   cancel=cancel or threading.Event(), judged_at=judged_at)

    def check_state_survives(self, stacks: Sequence[Stack], what: str) -> None:
        """In GitHub Actions, local state vanishes with the runner: a command that changes
        RunPod refuses it (CONTRACT §8), from the CLI as from the action. Sandbox exempt."""
        local = local_state_refusal(self, stacks, what)
        if local:
            raise UsageError(local)

    def now(self) -> datetime:
        """When schedules, idle stop and TTLs are judged: GITOPS_RUNNER_NOW, else now."""
        return self.judged_at or utcnow(self.clock)

    @property
    def environ(self) -> Mapping[str, str]:
        return self.secret_source

    # -- channels -------------------------------------------------------------------
    def log(self, text: str) -> None:
        self.out.log(text)

    def for_pull_request(self, number: int) -> None:
        """Lock records and history name the pull request whose merge is applied."""
        self.identity = replace(self.identity, pull_request=str(number))

    def with_max_wait(self, seconds: float) -> None:
        self.runpod_settings = replace(self.runpod_settings, max_wait=seconds)

    def with_api_key(self, key: str) -> None:
        if key:
            self.runpod_settings = replace(self.runpod_settings, api_key=key.strip())
            self.out.add_secrets([key.strip()])

    def stacks(self, given: Sequence[str]) -> list[Stack]:
        """Load the deploy files; the secret values they name are redacted from then on."""
        from gitops_runner.config import deploy_files, load_stacks

        stacks = load_stacks(deploy_files(given))
        self.secret_values(stacks, required=False)
        return stacks

    # -- secrets: the one place {secret: NAME} values are looked up ---------------------
    def secret_values(self, stacks: Sequence[Stack], required: bool = True) -> dict[str, str]:
        """Values of every {secret: NAME} the stacks use; each is redacted from all output."""
        values: dict[str, str] = {}
        missing: list[str] = []
        for stack in stacks:
            # Pods and serverless endpoints (CONTRACT §14) take {secret: NAME} alike.
            owners = [("pod", p.name, [*p.runtime.env.items(),
                                       *((f"models.{m.id}.api_key", m.api_key)
                                         for m in p.models)]) for p in stack.pods] + [
                ("endpoint", e.name, [*e.runtime.env.items(),
                                      *((f"models.{m.id}.api_key", m.api_key)
                                        for m in e.models)]) for e in stack.endpoints]
            for kind, owner, keys in owners:
                for key, value in keys:
                    if not isinstance(value, SecretRef):
                        continue
                    # `${{ secrets.X }}` of a secret that does not exist is "", not unset:
                    # an empty value is as missing as no value, never something to deploy.
                    if self.secret_source.get(value.name, ""):
                        values[value.name] = self.secret_source[value.name]
                    elif required or value.name in self.secret_source:
                        # Unset is fine where no value is needed (a plan shows it as
                        # sensitive); empty is always an error (CONTRACT §4).
                        state = "empty" if value.name in self.secret_source else "not set"
                        missing.append(f"{value.name} is {state} ({kind} {owner}, env {key}, "
                                       f"{stack.file})")
        self.out.add_secrets(values.values())
        for name in sorted(n for n, v in values.items() if self_word(v)):
            if name not in self._warned:
                self._warned.add(name)
                self.log(f"warning: the value of secret {name} is a word gitops-runner "
                         "prints itself, so output cannot mask it where the word appears; "
                         "rotate it to a real secret (reports never contain secret values)")
        if missing:
            raise GitopsError("secret values are missing: " + "; ".join(sorted(set(missing)))
                              + ". Export them (in Actions: create the repository secret and "
                              "pass it as env: on the action step)")
        return values

    # -- adapters -------------------------------------------------------------------
    def client_timing(self) -> dict[str, Any]:
        """The RunPod client's waits run on the session clock and end on cancel."""
        clock, cancel = self.clock, self.cancel
        return {"sleep": lambda seconds: clock.sleep(seconds, cancel),
                "clock": clock.monotonic, "wall": clock.time, "cancel": cancel,
                "max_wait": self.runpod_settings.max_wait}

    def backend(self, stack: Stack) -> tuple[StateStore, Locker]:
        return self.backends(stack, self.log)

    @contextlib.contextmanager
    def runpod(self, stacks: Sequence[Stack]) -> Iterator[RunPodAccess]:
        """The RunPod API, or in the sandbox the built-in simulator for the run's length."""
        settings = self.runpod_settings
        if not self.sandbox:
            if not settings.api_key:
                raise GitopsError("RUNPOD_API_KEY is not set. Create an API key in the RunPod "
                                  "console (Settings > API Keys) and export it, or try the "
                                  "offline sandbox with --sandbox")
            yield RunPodAccess(RunPodClient(settings.api_url, settings.api_key,
                                            session=http_session(settings.api_url),
                                            **self.client_timing()),
                               settings.proxy_url, False, 5.0)
            return
        from gitops_runner.runpod.simulator.server import Simulator

        self.log(SANDBOX_BANNER)
        boot = settings.sandbox_boot_seconds
        world, store = self._sandbox_account(stacks)
        with Simulator(world, store) as sim:
            # Simulated pods boot in `boot` seconds: look a few times per boot.
            yield RunPodAccess(RunPodClient(sim.url, SANDBOX_KEY, session=http_session(sim.url),
                                            max_retry_seconds=10, **self.client_timing()),
                               sim.proxy_url, True, max(0.05, min(0.5, boot / 4)))


    def _sandbox_account(self, stacks: Sequence[Stack]) -> tuple[World, FileStore]:
        from gitops_runner.runpod.simulator.store import FileStore
        from gitops_runner.runpod.simulator.world import Settings, World

        boot = self.runpod_settings.sandbox_boot_seconds
        # The realistic simulator: reads that lag, injected env, serving images whose
        # flags are checked (docs/runpod-notes.md), so the sandbox fails as RunPod would.
        # Its lags scale with the boot time, so a fast sandbox stays proportionate.
        lag = min(2.0, boot)
        world = World(clock=self.clock.time, settings=Settings.realistic(
            boot, read_lag_seconds=lag, stale_seconds=lag))
        # The values of {secret: NAME} are kept on disk only as digests (store.seal).
        store = FileStore(os.path.join(sandbox_dir(stacks), "sandbox", "runpod.json"),
                          secrets=self.out.secrets)
        return world, store

    @contextlib.contextmanager
    def sandbox_account(self, stacks: Sequence[Stack]) -> Iterator[World]:
        """The sandbox's simulated account itself, loaded and saved under its file lock,
        for `gitops-runner sandbox` to change behind the tool's back."""
        if not self.sandbox:
            raise UsageError("sandbox controls change only the built-in RunPod simulator, "
                             "never RunPod: add --sandbox (or set GITOPS_RUNNER_SANDBOX=1)")
        world, store = self._sandbox_account(stacks)
        with world.lock, store.session(world):
            yield world


def sandbox_dir(stacks: Sequence[Stack]) -> str:
    for stack in stacks:
        if stack.state.backend == "local":
            return stack.state.path
    return os.path.abspath(".gitops-runner")
