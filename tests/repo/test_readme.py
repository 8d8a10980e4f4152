"""The README's snippets hold: workflow steps pinned by SHA (and clean under zizmor's
default policy and the workflow schema), the starter's schema URL and the pre-commit hook
as config/starter.py and .pre-commit-hooks.yaml define them."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from gitops_runner import __version__
from gitops_runner.config.starter import (
    HOOK_FILES,
    HOOK_ID,
    REPOSITORY,
    SCHEMA_URL,
    precommit_config,
    starter_deploy,
)

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
FENCE = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def _workflow_snippets() -> list[str]:
    return [s for s in FENCE.findall(README) if "uses:" in s]


def test_readme_setup_snippet_pins_every_action_by_sha() -> None:
    snippets = _workflow_snippets()
    assert snippets
    for snippet in snippets:
        for ref in re.findall(r"uses:\s*(\S+)", snippet):
            assert re.search(r"@[0-9a-f]{40}$", ref), ref
    shas = set(re.findall(r"@([0-9a-f]{40})", "".join(
        p.read_text() for p in (ROOT / "examples" / "workflows").glob("*.yml"))))
    used = set(re.findall(r"(?:checkout|credentials)@([0-9a-f]{40})", "".join(snippets)))
    assert used and used <= shas  # the same releases the example workflows pin


def test_readme_setup_snippet_passes_zizmor_and_the_workflow_schema(tmp_path: Path) -> None:
    bindir = Path(sys.executable).parent
    if not (bindir / "zizmor").exists() or not (bindir / "check-jsonschema").exists():
        pytest.skip("zizmor/check-jsonschema not installed")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for i, snippet in enumerate(_workflow_snippets()):
        (workflows / f"readme-{i}.yml").write_text(snippet)
    files = sorted(str(p) for p in workflows.glob("*.yml"))
    # zizmor's default policy (no repository config): tags are flagged, SHAs are not.
    zizmor = subprocess.run([str(bindir / "zizmor"), "--offline", "--no-config", *files],
                            capture_output=True, text=True, cwd=tmp_path)
    assert zizmor.returncode == 0 and "unpinned" not in zizmor.stdout, zizmor.stdout
    schema = subprocess.run([str(bindir / "check-jsonschema"), "--builtin-schema",
                             "vendor.github-workflows", *files], capture_output=True, text=True)
    assert schema.returncode == 0, schema.stdout + schema.stderr


def test_readme_schema_url_is_the_starters_and_points_at_the_repository_schema() -> None:
    assert starter_deploy("demo").splitlines()[0] == f"# yaml-language-server: $schema={SCHEMA_URL}"
    assert SCHEMA_URL in README
    assert SCHEMA_URL.startswith(f"https://raw.githubusercontent.com/{REPOSITORY}/")
    assert (ROOT / SCHEMA_URL.split("/main/", 1)[1]).is_file()


def test_readme_precommit_hook_is_published_and_documented() -> None:
    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == HOOK_ID)
    assert (hook["language"], hook["entry"]) == ("python", "gitops-runner validate")
    assert hook["files"] == HOOK_FILES
    pattern = re.compile(hook["files"])
    assert all(pattern.search(p) for p in ("deploy.yaml", "deploy/dev.yaml", "deploy/a.yml"))
    assert not any(pattern.search(p) for p in ("README.md", "examples/workflows/plan.yml"))
    config = precommit_config("X.Y.Z", "RELEASE_COMMIT_SHA")
    assert f"repo: https://github.com/{REPOSITORY}" in config and f"id: {HOOK_ID}" in config
    assert config.split("repos:\n", 1)[1] in README


def test_readme_init_writes_the_precommit_config(tmp_path: Path) -> None:
    from tests.helpers import run_cli

    result = run_cli(["init", "--dir", str(tmp_path)])
    assert result.code == 0
    written = (tmp_path / ".pre-commit-config.yaml").read_text()
    assert written == precommit_config(__version__)
    assert YAML(typ="safe").load(written)["repos"][0]["hooks"] == [{"id": HOOK_ID}]
    kept = run_cli(["init", "--dir", str(tmp_path), "--force"])
    assert ".pre-commit-config.yaml exists, left as is" in kept.out


def test_readme_command_table_names_every_option_of_every_command() -> None:
    """A flag the CLI takes but the README's command table omits is a flag nobody finds."""
    from gitops_runner.cli.root import cli

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("| command | does | exit status |", 1)[1].split("\n\n", 1)[0]
    cells = [re.split(r"(?<!\\)\|", line)[1] for line in table.splitlines()[2:]]
    shared = {"--config", "--format", "--sandbox", "--help"}

    def commands(group: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                yield from commands(command, f"{prefix}{name} ")
            else:
                yield prefix + name, command

    missing = []
    for name, command in commands(cli):
        rows = [c for c in cells if re.search(rf"`{re.escape(name.split()[0])}\b", c)]
        assert rows, f"no row for {name}"
        missing += [f"{name} {opt}" for p in command.params for opt in p.opts
                    if opt.startswith("--") and opt not in shared
                    and not any(opt in row for row in rows)]
    assert missing == []
