"""Shared fixtures and the always-on guards: no traffic leaves the machine, and
no real RunPod key or AWS credential is ever used by a test."""

from __future__ import annotations

import gc
import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import Settings, World
from tests.action_repo import ActionRepo
from tests.fakes.clock import FakeClock, ScaledClock
from tests.fakes.github import fake_github
from tests.state import servers


class NonLoopbackConnectionError(RuntimeError):
    """A test tried to reach a host that is not on this machine."""


_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        host = str(address[0])
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise NonLoopbackConnectionError(f"test tried to connect to {host}; tests stay on "
                                             "127.0.0.1")
    _real_connect(self, address)  # type: ignore[arg-type]


LIVE = os.environ.get("RUNPOD_LIVE_TESTS") == "1"
NO_AWS_FILES = "/nonexistent/gitops-runner-tests"


# A run's tmp_path trees in memory where the machine has room: the tests write state and
# sandbox files (each with an fsync) thousands of times, which costs a disk's journal CPU
# and waits, and pytest deletes old runs' trees serially as the run ends. Durability is
# not what they test; the code still asks for it.
MEMORY_TMP = "/dev/shm"
MEMORY_TMP_MIN_FREE = 4 << 30


def _memory_tmp_fits() -> bool:
    try:
        stat = os.statvfs(MEMORY_TMP)
    except OSError:
        return False
    # noexec would stop the clean-venv test running the tool it installed there.
    return (os.access(MEMORY_TMP, os.W_OK) and not stat.f_flag & os.ST_NOEXEC
            and stat.f_bavail * stat.f_frsize >= MEMORY_TMP_MIN_FREE)


def pytest_configure(config: pytest.Config) -> None:
    if not LIVE:
        socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    # pytest's documented root for tmp_path; the xdist workers inherit it.
    if "PYTEST_DEBUG_TEMPROOT" not in os.environ and _memory_tmp_fits():
        os.environ["PYTEST_DEBUG_TEMPROOT"] = MEMORY_TMP


def pytest_collection_finish(session: pytest.Session) -> None:
    # What collection built (modules, test items) lives all run: out of the collector's
    # sight, each full collection walks only what the tests make.
    gc.freeze()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Scenarios first: they hold the long waits (boots, rollouts, streams), and the quick
    unit tests after them are what an idle xdist worker takes from a busy one at the end.
    The live check is opt-in: deselected (and counted as such in the summary) unless
    RUNPOD_LIVE_TESTS=1, rather than collected and skipped."""
    items.sort(key=lambda item: not item.nodeid.startswith("tests/scenarios/"))
    if LIVE:
        return
    live = [item for item in items if item.get_closest_marker("live")]
    if live:
        config.hook.pytest_deselected(items=live)
        items[:] = [item for item in items if not item.get_closest_marker("live")]


@pytest.fixture(autouse=True)
def _no_real_credentials(monkeypatch: pytest.MonkeyPatch,
                         request: pytest.FixtureRequest) -> None:
    if LIVE and request.node.get_closest_marker("live"):
        return  # the opt-in live check is the one place a real key is used
    for name in ("RUNPOD_API_KEY", "RUNPOD_API_URL", "RUNPOD_PROXY_URL", "GITOPS_RUNNER_SANDBOX",
                 "GITHUB_ACTIONS", "GITHUB_TOKEN", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # Files that do not exist: no profile or key of this machine's is read. (Not under
    # tmp_path: most tests need no directory of their own, and each costs a mkdir and a
    # delete.)
    monkeypatch.setenv("AWS_CONFIG_FILE", NO_AWS_FILES + "/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", NO_AWS_FILES + "/credentials")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def world(clock: FakeClock) -> World:
    return World(clock=clock, settings=Settings(provisioning_seconds=2, starting_seconds=5))


@pytest.fixture
def sim(world: World) -> Iterator[Simulator]:
    with Simulator(world, log_stream_seconds=1.0) as simulator:
        yield simulator


@pytest.fixture
def client(sim: Simulator) -> RunPodClient:
    return RunPodClient(sim.url, "test-key-0000", max_retry_seconds=5, backoff_base=0.01)


@pytest.fixture
def vclock(request: pytest.FixtureRequest) -> ScaledClock:
    """Virtual time for end-to-end runs: the engine and the simulator share it. A test
    whose waits have wide margins runs faster with `@pytest.mark.clock_factor(N)`."""
    marker = request.node.get_closest_marker("clock_factor")
    return ScaledClock(factor=marker.args[0]) if marker else ScaledClock()


@pytest.fixture
def fast_world(vclock: ScaledClock) -> World:
    """Boots of a few virtual seconds, a fraction of a real one: for end-to-end runs."""
    return World(clock=vclock, settings=Settings(provisioning_seconds=1, starting_seconds=2))


@pytest.fixture
def fast_sim(fast_world: World) -> Iterator[Simulator]:
    with Simulator(fast_world, log_stream_seconds=0.5) as simulator:
        yield simulator


@pytest.fixture
def action_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ActionRepo]:
    """A repository for the action, with the fake GitHub API; the sandbox by default."""
    monkeypatch.chdir(tmp_path)
    with fake_github() as (api, gh):
        yield ActionRepo(tmp_path, api, gh)


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> str:
    return servers.moto_server(tmp_path_factory)


@pytest.fixture(scope="session")
def dynamodb_local_endpoint(tmp_path_factory: pytest.TempPathFactory) -> str:
    return servers.dynamodb_local(tmp_path_factory)


@pytest.fixture(scope="session")
def seaweedfs_endpoint(tmp_path_factory: pytest.TempPathFactory) -> str:
    return servers.seaweedfs(tmp_path_factory)
