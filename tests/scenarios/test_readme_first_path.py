"""A newcomer's first path, from a clean clone: the README's "Try it" block, then its
cleaning-up block, pasted in order into one shell. After the demo the shell is still in
the clone (the next pasted command works), the demo's repository would commit no state,
lock or sandbox file, and cleaning up leaves nothing behind."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.provision import wheelhouse

ROOT = Path(__file__).resolve().parents[2]
DEMO = "/tmp/gr-demo"


def readme_blocks() -> tuple[str, str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Try it", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 2, "Try it: the demo block, then the cleaning-up block"
    return blocks[0], blocks[1]


def test_readme_try_it_keeps_the_demo_in_a_subshell() -> None:
    demo, cleanup = readme_blocks()
    for line in (demo + cleanup).splitlines():
        assert "cd " not in line or line.startswith("("), f"cd outside a subshell: {line}"


@pytest.mark.slow
def test_readme_try_it_from_a_clean_clone(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    demo_dir = tmp_path / "gr-demo"
    demo, cleanup = (block.replace(DEMO, str(demo_dir)) for block in readme_blocks())
    script = "\n".join([
        "set -euo pipefail", demo,
        'test "$PWD" = "$CLONE"',  # still in the clone: the next pasted command works
        "(cd \"$DEMO_DIR\" && git init -q && git add -A && git status --porcelain) > staged",
        cleanup])
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITOPS_RUNNER_", "RUNPOD_", "VIRTUAL_ENV"))}
    env.update({"CLONE": str(clone), "DEMO_DIR": str(demo_dir),
                "GITOPS_RUNNER_SANDBOX_BOOT_SECONDS": "0.2", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    # Offline, as every test: the dependencies and the build backend from the wheelhouse.
    env.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse())})
    done = subprocess.run(["bash", "-c", script], cwd=clone, env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "my-project/dev: 1 created" in done.stdout, done.stdout
    assert "No drift: RunPod, state and the deploy file agree." in done.stdout, done.stdout
    staged = (clone / "staged").read_text()
    assert "deploy/dev.yaml" in staged and ".gitignore" in staged
    assert ".gitops-runner" not in staged, staged
    assert not demo_dir.exists(), "cleaning up removes the demo"
