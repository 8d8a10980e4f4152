"""The workflows `init` writes (examples/workflows) and this repository's own: triggers,
concurrency, permissions and pins, as CONTRACT §8 asks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from gitops_runner.commands.init import WORKFLOWS, workflow_text

ROOT = Path(__file__).resolve().parents[2]
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


def load(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = YAML(typ="safe").load(text)
    return doc


def workflow(name: str) -> dict[str, Any]:
    return load(workflow_text(name))


def all_workflows() -> list[tuple[str, dict[str, Any]]]:
    ours = [(p.name, load(p.read_text())) for p in sorted((ROOT / ".github/workflows").glob("*.yml"))]
    return [(n, workflow(n)) for n in WORKFLOWS] + ours


def steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in doc["jobs"].values() for s in job.get("steps", [])]


def test_workflows_plan_runs_on_every_pull_request_and_the_merge_queue() -> None:
    on = workflow("plan.yml")["on"]
    assert set(on) == {"pull_request", "merge_group"}
    assert on["pull_request"] is None or "paths" not in on["pull_request"], \
        "a paths filter would leave a required plan check waiting forever"
    assert on["merge_group"] is None or "paths" not in on["merge_group"]


def test_workflows_preview_runs_on_the_events_previews_need() -> None:
    on = workflow("preview.yml")["on"]
    types = set(on["pull_request"]["types"])
    # GitHub's defaults (synchronize takes the label off), plus labeled (deploy),
    # unlabeled and closed (destroy); the schedule sweeps with the preview key.
    assert types == {"opened", "synchronize", "reopened", "labeled", "unlabeled", "closed"}
    assert "schedule" in on


def test_workflows_plan_skips_aws_for_forks() -> None:
    (aws,) = [s for s in steps(workflow("plan.yml"))
              if s["uses"].startswith("aws-actions/")]
    assert "head.repo.full_name == github.repository" in aws["if"]
    assert "merge_group" in aws["if"]


def test_workflows_apply_queues_every_merge_and_never_cancels() -> None:
    doc = workflow("apply.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    assert doc["concurrency"] == {"group": "gitops-runner-apply", "cancel-in-progress": False,
                                  "queue": "max"}
    assert doc["jobs"]["apply"]["environment"] == "production"


def test_workflows_drift_is_hourly_in_its_own_group() -> None:
    doc = workflow("drift.yml")
    (cron,) = [c["cron"] for c in doc["on"]["schedule"]]
    minute, hour, *rest = cron.split()
    assert minute.isdigit() and hour == "*" and rest == ["*", "*", "*"], "hourly"
    assert "workflow_dispatch" in doc["on"]
    assert doc["concurrency"]["group"] == "gitops-runner-drift"
    assert doc["concurrency"]["group"] != workflow("apply.yml")["concurrency"]["group"]
    assert doc["concurrency"]["cancel-in-progress"] is False


@pytest.mark.parametrize(("name", "doc"), all_workflows())
def test_workflows_permissions_are_minimal(name: str, doc: dict[str, Any]) -> None:
    assert doc["permissions"] == {}, f"{name}: nothing granted at the top level"
    for job in doc["jobs"].values():
        assert set(job["permissions"]) <= {"contents", "pull-requests", "issues", "id-token",
                                           "packages"}


@pytest.mark.parametrize(("name", "doc"), all_workflows())
def test_workflows_third_party_actions_are_pinned_by_sha(name: str, doc: dict[str, Any]) -> None:
    for step in steps(doc):
        uses = step.get("uses", "")
        if uses and not uses.startswith(("./", "gitops-runner/")):
            assert SHA_PIN.match(uses), f"{name}: {uses} is not pinned by a full commit SHA"


@pytest.mark.parametrize("name", WORKFLOWS)
def test_workflows_pins_name_node24_releases(name: str) -> None:
    # The comment after each pin names the release; the releases below run on node24
    # (checked against each repository's action.yml at that commit).
    text = workflow_text(name)
    assert "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1" in text
    if "aws-actions/" in text:
        assert "configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3" \
            in text


def test_workflows_ci_runs_the_action_from_this_checkout_in_the_sandbox() -> None:
    doc = load((ROOT / ".github/workflows/ci.yml").read_text())
    (step,) = [s for s in steps(doc) if s.get("uses") == "./"]
    assert step["env"]["GITOPS_RUNNER_SANDBOX"] == "1"
    assert step["with"]["command"] == "plan"


def test_workflows_release_pins_the_image_digest() -> None:
    doc = load((ROOT / ".github/workflows/release.yml").read_text())
    run = "\n".join(s.get("run", "") for s in steps(doc))
    assert 'pinned="docker://${IMAGE}@${DIGEST}"' in run
    assert "action.yml" in run
    assert doc["jobs"]["release"]["permissions"] == {"contents": "write", "packages": "write"}


# -- keys, least privilege (CONTRACT §8) and the pins `init` writes --------------------------
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, Any]]:
    from gitops_runner import release
    from gitops_runner.commands.init import write_starter

    monkeypatch.setattr(release, "COMMIT", COMMIT)
    write_starter(str(tmp_path), "demo", force=False, backend="s3", bucket="b-ucket",
                  table="locks")
    folder = tmp_path / ".github" / "workflows"
    return {p.name.removeprefix("gitops-runner-"): load(p.read_text())
            for p in sorted(folder.glob("*.yml"))}


def action_steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in steps(doc) if s.get("uses", "").startswith("gitops-runner/")]


def secrets_named(job: dict[str, Any]) -> set[str]:
    text = json.dumps(job)
    return set(re.findall(r"secrets\.([A-Z0-9_]+)", text))


def test_workflows_init_pins_every_action_by_sha_its_own_included(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = written(tmp_path, monkeypatch)
    assert set(docs) == {"plan.yml", "preview.yml", "apply.yml", "drift.yml"}
    for name, doc in docs.items():
        for step in steps(doc):
            if "uses" in step:
                assert SHA_PIN.match(step["uses"]), f"{name}: {step['uses']}"
        (own,) = action_steps(doc)
        assert own["uses"] == f"gitops-runner/gitops-runner@{COMMIT}"
    text = (tmp_path / ".github/workflows/gitops-runner-plan.yml").read_text()
    assert f"gitops-runner/gitops-runner@{COMMIT} # v" in text, "the version in a comment"


def test_workflows_init_puts_each_key_where_it_belongs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = written(tmp_path, monkeypatch)
    # Plan: pull requests and the merge queue; a read-only key, no deploy secret, no
    # environment (anyone who can push a branch can read what this job holds).
    plan = docs["plan.yml"]["jobs"]["plan"]
    assert "environment" not in plan
    assert secrets_named(plan) == {"RUNPOD_API_KEY_READONLY"}
    (step,) = action_steps(docs["plan.yml"])
    assert step["with"]["command"] == "plan" and "env" not in step
    # Apply and drift/schedule: the read-write key in the production environment.
    for name, job in (("apply.yml", "apply"), ("drift.yml", "drift")):
        body = docs[name]["jobs"][job]
        assert body["environment"] == "production", name
        assert "RUNPOD_API_KEY" in secrets_named(body), name
        assert "RUNPOD_API_KEY_READONLY" not in secrets_named(body), name
    # Previews: their own job, environment and key; never the production key.
    preview = docs["preview.yml"]["jobs"]["preview"]
    assert preview["environment"] == "preview"
    assert secrets_named(preview) == {"RUNPOD_API_KEY_PREVIEW"}
    (step,) = action_steps(docs["preview.yml"])
    assert step["with"]["command"] == "preview"
    assert "head.repo.full_name == github.repository" in preview["if"]
    for name, doc in docs.items():
        if name not in ("apply.yml", "drift.yml"):
            assert "RUNPOD_API_KEY" not in secrets_named(doc["jobs"]), name


def test_workflows_init_output_is_clean_under_zizmor(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bindir = Path(sys.executable).parent
    if not (bindir / "zizmor").exists():
        pytest.fail("zizmor is a test dependency (pip install -e '.[test]')")
    written(tmp_path, monkeypatch)
    files = sorted(str(p) for p in (tmp_path / ".github" / "workflows").glob("*.yml"))
    # zizmor's default policy, no repository config: any tag is flagged, SHAs are not.
    run = subprocess.run([str(bindir / "zizmor"), "--offline", "--no-config", *files],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
