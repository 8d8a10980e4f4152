"""gpus: RunPod's GPU catalog with stock now (CONTRACT §6, §13), in one catalog request."""

from __future__ import annotations

from collections.abc import Sequence

from gitops_runner.config import deploy_files
from gitops_runner.config.model import Stack
from gitops_runner.engine.session import Session
from gitops_runner.errors import UsageError
from gitops_runner.plan.catalog import GpuCatalog, select
from gitops_runner.report.gpus import gpus_json, gpus_text


def sandbox_stacks(session: Session, configs: Sequence[str]) -> list[Stack]:
    """The sandbox keeps its RunPod beside the stack's local state: read the deploy files,
    when there are any, to find the same simulated account plan and apply use (a broken
    one is reported, as by every command; with none, the sandbox's default place)."""
    if not session.sandbox:
        return []
    try:
        deploy_files(configs)
    except UsageError:
        return []
    return session.stacks(configs)


def run(session: Session, configs: Sequence[str], cloud: str | None = None,
        min_memory: int | None = None, count: int | None = None, available: bool = False,
        fmt: str = "text") -> int:
    stock_cloud = cloud or "SECURE"  # RunPod's default for availability
    with session.runpod(sandbox_stacks(session, configs)) as access:
        raw = access.client.list_gpu_types(availability=True, cloud=stock_cloud, count=count)
    catalog = GpuCatalog.from_raw(raw, stock_cloud)
    chosen = select(catalog, cloud, min_memory, count, available)
    if fmt == "json":
        session.out.report(gpus_json(chosen, stock_cloud, count or 1))
    else:
        session.out.report(gpus_text(chosen, stock_cloud, count or 1))
    return 0
