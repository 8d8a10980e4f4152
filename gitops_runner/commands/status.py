"""status: the stacks' pods with status, GPU, $/h, endpoints and health."""

from __future__ import annotations

from collections.abc import Sequence

from gitops_runner.engine.observe import read_state
from gitops_runner.engine.session import Session
from gitops_runner.engine.status import endpoint_rows, status_rows
from gitops_runner.plan.network_volume_drift import volume_rows
from gitops_runner.plan.network_volumes import needs_volumes
from gitops_runner.report.jsonreport import dump
from gitops_runner.report.network_volumes import volume_status_text
from gitops_runner.report.status import SANDBOX_ENDPOINTS, endpoint_text, status_text


def run(session: Session, configs: Sequence[str], fmt: str = "text") -> int:
    stacks = session.stacks(configs)
    states = [read_state(session, s)[0] for s in stacks]
    with session.runpod(stacks) as access:
        observed = access.client.list_pods()
        now = session.now()  # GITOPS_RUNNER_NOW, as schedule judges it
        tables = [(s, status_rows(s, st, observed, access.proxy_url, now))
                  for s, st in zip(stacks, states, strict=True)]
        # Network volumes (CONTRACT §14): listed only for stacks that have any.
        seen = (access.client.list_network_volumes() if needs_volumes(stacks, states)
                else [])
        volumes = {s.name: volume_rows(s, st, seen) for s, st in zip(stacks, states,
                                                                      strict=True)}
        serverless = [endpoint_rows(s, st, access.client)
                      for s, st in zip(stacks, states, strict=True)]
    # The sandbox serves its pods' endpoints from this process: they stop with it.
    notes = [SANDBOX_ENDPOINTS] if access.sandbox and any(
        row["endpoints"] for _, rows in tables for row in rows) else []
    if fmt == "json":
        session.out.report(dump({"stacks": [{"stack": s.name, "pods": rows, "endpoints": eps,
                                             "volumes": volumes[s.name]}
                                            for (s, rows), eps in zip(tables, serverless,
                                                                      strict=True)],
                                 "notes": notes}))
    else:
        texts = ["\n".join([status_text(s, rows) + volume_status_text(volumes[s.name]),
                            *endpoint_text(eps)])
                 for (s, rows), eps in zip(tables, serverless, strict=True)]
        session.out.report("\n".join([*texts, *(f"Note: {n}" for n in notes)]))
    return 0
