"""A preview brings only what its policy checks (CONTRACT §12, §14): a pull request's
file may not create network volumes (or endpoints) through its preview."""

from __future__ import annotations

import json

from tests.action_repo import ActionRepo
from tests.scenarios.test_action_preview import (
    PREVIEWED,
    event,
    previewed,
    stack_pods,
    state_file,
)

WITH_VOLUME = PREVIEWED.replace("pods:\n", "volumes:\n  - {name: big, size_gb: 4000, "
                                "data_centers: [EU-RO-1, US-TX-3]}\npods:\n", 1)


def _volumes(repo: ActionRepo) -> object:
    path = repo.root / ".state" / "sandbox" / "runpod.json"
    return json.loads(path.read_text()).get("network_volumes")


def test_a_preview_never_creates_the_pull_requests_network_volumes(
        action_repo: ActionRepo) -> None:
    previewed(action_repo, text=WITH_VOLUME, policy=PREVIEWED)
    result = action_repo.run("pull_request", event("labeled"))
    assert result.code == 0, result.err
    assert len(stack_pods(action_repo, "app/prod-pr-12")) == 1, "the preview's pods deploy"
    assert not _volumes(action_repo), "no network volume, under no cap and no PR marker"
    state = json.loads(state_file(action_repo, "prod-pr-12").read_text())
    assert not state.get("volumes")
