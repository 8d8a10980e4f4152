from __future__ import annotations

from pathlib import Path

from gitops_runner.engine.observe import plan_stacks, stock_cloud
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.simulator.server import Simulator
from tests.helpers import make_session
from tests.plan.factories import stack_from_yaml

PODS = ("pods:\n  - name: a\n    replicas: {a}\n    gpu: {{type: NVIDIA L4}}\n"
        "    runtime: {{image: x}}\n  - name: b\n    replicas: {b}\n    cloud_type: COMMUNITY\n"
        "    gpu: {{type: NVIDIA L4}}\n    runtime: {{image: x}}\n")


def test_stock_is_read_for_the_cloud_most_pods_use() -> None:
    assert stock_cloud([stack_from_yaml(PODS.format(a=2, b=3))]) == "COMMUNITY"
    assert stock_cloud([stack_from_yaml(PODS.format(a=2, b=2))]) == "SECURE"
    assert stock_cloud([]) == "SECURE"


def test_plan_reads_stock_in_its_one_catalog_request(tmp_path: Path) -> None:
    sim = Simulator().start()
    try:
        sim.exchanges = []
        stack = stack_from_yaml(PODS.format(a=1, b=40), f"state: {{path: {tmp_path}}}\n")
        client = RunPodClient(sim.url, "k")
        (planned,) = plan_stacks(make_session(), [stack], client, {})
        assert client.request_count == 2
        catalog = [e for e in sim.exchanges if "catalog" in e.path]
        assert len(catalog) == 1 and catalog[0].response["gpus"][0]["availability"] == "HIGH"
        landed = {x.pod: x.unknown for x in planned.plan.landings}
        assert landed["a"] is True and landed["b"] is False  # stock read for COMMUNITY
    finally:
        sim.stop()


def test_plan_of_1000_pods_is_two_requests_and_counts_the_pods_without_stock(
        tmp_path: Path) -> None:
    entries = "".join(f"  - name: p{i}\n    replicas: 100\n    gpu: {{type: NVIDIA L4}}\n"
                      "    runtime: {image: x}\n" for i in range(10))
    stack = stack_from_yaml("pods:\n" + entries, f"state: {{path: {tmp_path}}}\n")
    sim = Simulator().start()
    try:
        client = RunPodClient(sim.url, "k")
        (planned,) = plan_stacks(make_session(), [stack], client, {})
    finally:
        sim.stop()
    assert client.request_count == 2
    # 5 data centers x 64 free L4s (HIGH): 320 land, 680 do not.
    assert sum(x.has_stock for x in planned.plan.landings) == 320
    assert planned.plan.warnings[-1].startswith(
        "680 of 1000 new pods asking for NVIDIA L4 (or their fallbacks) have no stock now")
