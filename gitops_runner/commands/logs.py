"""logs: a pod's container logs through the v2 logs endpoint."""

from __future__ import annotations

from collections.abc import Sequence

from gitops_runner.engine.logs import follow_logs
from gitops_runner.engine.observe import read_state
from gitops_runner.engine.session import Session
from gitops_runner.errors import UsageError
from gitops_runner.plan.observed import parse_pod

EXIT_INTERRUPTED = 130  # as ^C anywhere (cli.main)


def run(session: Session, configs: Sequence[str], pod: str, follow: bool = False,
        tail: int = 100) -> int:
    """POD is its name in the deploy file (found in state, else by markers) or a pod id."""
    stacks = session.stacks(configs)
    with session.runpod(stacks) as access:
        pod_id = None
        for stack in stacks:
            record = read_state(session, stack)[0].pods.get(pod)
            if record is not None:
                pod_id = record.id
                break
        if pod_id is None:
            names = {s.name for s in stacks}
            for observed in map(parse_pod, access.client.list_pods()):
                if observed.id == pod or (observed.logical == pod and observed.stack in names):
                    pod_id = observed.id
                    break
        if pod_id is None:
            raise UsageError(f"no pod {pod!r} in the state or on RunPod for "
                             f"{', '.join(s.name for s in stacks)}")
        if follow:
            interrupted = follow_logs(access.client, pod_id, tail, session.out.report,
                                      session.clock, session.cancel, session.log)
            return EXIT_INTERRUPTED if interrupted else 0
        for event in access.client.stream_logs(pod_id, tail=tail):
            session.out.report(f"{event.get('ts', '')} {event.get('line', '')}")
    return 0
