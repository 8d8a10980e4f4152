"""What the real-process tests need, built by the test session itself when missing, so the
README's test command runs everything and skips nothing silently (issue 27).

- DynamoDB Local: AWS's jar ships inside the npm package amplify-dynamodb-simulator; it runs
  on Java 17. Fetched once into .ci/cache with `npm pack`.
- A wheelhouse for the container-entrypoint test, which installs into a clean venv offline:
  the dependencies' wheels once, our own wheel rebuilt every session (a stale wheel would test
  yesterday's code).

xdist workers build under one file lock; the first builds, the others find the result.
When something cannot be built (no java, no npm, no index), the test fails naming the fix.
"""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".ci" / "cache"
WHEELS = CACHE / "wheels"
JAR_DIR = CACHE / "dynamodb-local"


@contextmanager
def _built_once(name: str) -> Iterator[None]:
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(args: list[str], what: str, cwd: Path | None = None) -> None:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        pytest.fail(f"could not build {what}: `{' '.join(args)}` exited {result.returncode}: "
                    + " | ".join(tail))


def dynamodb_local_jar() -> str:
    """The DynamoDB Local jar, fetched when missing; fails the test when it cannot be."""
    given = os.environ.get("DYNAMODB_LOCAL_JAR", "")
    if given and os.path.exists(given):
        return given
    if shutil.which("java") is None:
        pytest.fail("DynamoDB Local needs Java 17 (`apt-get install default-jre-headless`)")
    with _built_once("dynamodb-local"):
        found = glob.glob(str(JAR_DIR / "**" / "DynamoDBLocal.jar"), recursive=True)
        if found:
            return found[0]
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("DynamoDB Local comes from the npm package amplify-dynamodb-simulator: "
                        "install Node.js and npm, or set DYNAMODB_LOCAL_JAR")
        tmp = Path(tempfile.mkdtemp(prefix="ddb-local-"))
        try:
            _run([npm, "pack", "--silent", "amplify-dynamodb-simulator"], "DynamoDB Local", tmp)
            tarball = next(tmp.glob("*.tgz"))
            _run(["tar", "xzf", tarball.name], "DynamoDB Local", tmp)
            shutil.copytree(tmp / "package" / "emulator", JAR_DIR, dirs_exist_ok=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return str(JAR_DIR / "DynamoDBLocal.jar")


_wheel_built: list[Path] = []


def wheelhouse() -> Path:
    """A folder of wheels holding gitops-runner (built from this checkout now), its
    dependencies and its build backend, for an offline install into a clean venv."""
    if _wheel_built:
        return _wheel_built[0]
    with _built_once("wheels"):
        stamp = WHEELS / f".built-{_session_key()}"
        if not stamp.exists():
            for old in [*WHEELS.glob("gitops_runner-*.whl"), *WHEELS.glob(".built-*")]:
                old.unlink()
            # Dependencies once (kept across sessions), our own wheel every session; and the
            # build backend, so `pip install .` from a clone builds offline too.
            _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(WHEELS),
                  str(ROOT), "hatchling"], "the wheelhouse")
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.write_text("")
    _wheel_built.append(WHEELS)
    return WHEELS


def _session_key() -> str:
    """Shared by the xdist workers of one run (their controller sets the testrun uid)."""
    return os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid()))
