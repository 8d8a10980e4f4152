from __future__ import annotations

from typing import Any

from gitops_runner.plan.build import make_plan
from gitops_runner.plan.catalog import GpuCatalog
from gitops_runner.plan.placement import any_stock, predict
from gitops_runner.plan.statefile import StateDoc
from tests.plan.factories import stack_from_yaml
from tests.plan.test_diff import NOW


def gpu(gpu_id: str, *dcs: tuple[str, str], community: bool = True) -> dict[str, Any]:
    return {"id": gpu_id, "name": gpu_id, "memory": 24, "secure": True, "community": community,
            "price": {"secure": 1.0, "community": 0.5}, "maxCount": {"secure": 8, "community": 8},
            "availability": "HIGH" if dcs else "NONE",
            "dataCenters": [{"id": dc, "name": dc, "availability": level} for dc, level in dcs]}


CATALOG = [gpu("NVIDIA L4", ("EU-RO-1", "MEDIUM"), ("US-TX-3", "LOW")),
           gpu("NVIDIA A40", ("CA-MTL-1", "LOW")),
           gpu("NVIDIA H200")]


def plan(pods: str, catalog: list[dict[str, Any]] = CATALOG, stock_cloud: str | None = None
         ) -> Any:
    stack = stack_from_yaml(pods)
    return make_plan(stack, StateDoc.empty("demo/prod", "l"), [], catalog, {}, NOW, stock_cloud)


ELEVEN = ("pods:\n  - name: a\n    replicas: 11\n"
          "    gpu: {type: NVIDIA L4, fallback: [NVIDIA A40]}\n    runtime: {image: x}\n")


def test_predict_first_candidate_then_next_data_center_then_fallback() -> None:
    p = plan(ELEVEN)
    landed = [(x.gpu, x.data_center, x.level) for x in p.landings]
    # MEDIUM stands for at least 8 free GPUs, LOW for at least 1 (plan/catalog.py).
    assert landed == [("NVIDIA L4", "EU-RO-1", "MEDIUM")] * 8 + [
        ("NVIDIA L4", "US-TX-3", "LOW"), ("NVIDIA A40", "CA-MTL-1", "LOW"), (None, None, None)]
    assert p.warnings == ("1 of 11 new pods asking for NVIDIA L4 (or their fallbacks) have no "
                          "stock now on RunPod's catalog; apply would fail them for capacity. "
                          "Add fallback GPUs or data centers, or fewer replicas",)
    # A prediction moves with stock: it never changes what the plan's fingerprint covers.
    sold_out = plan(ELEVEN, [gpu("NVIDIA L4"), gpu("NVIDIA A40")])
    assert sold_out.landings != p.landings and sold_out.fingerprint == p.fingerprint


def test_predict_counts_gpus_and_respects_data_centers() -> None:
    p = plan("pods:\n  - name: a\n    replicas: 2\n    data_centers: [US-TX-3]\n"
             "    gpu: {type: NVIDIA L4, count: 1}\n    runtime: {image: x}\n")
    assert [x.data_center for x in p.landings] == ["US-TX-3", None]
    big = plan("pods:\n  - name: a\n    gpu: {type: NVIDIA L4, count: 4}\n"
               "    runtime: {image: x}\n")
    assert [(x.data_center, x.level) for x in big.landings] == [("EU-RO-1", "MEDIUM")]


def test_predict_says_nothing_without_availability_or_for_another_cloud() -> None:
    bare = [{k: v for k, v in g.items() if k not in ("availability", "dataCenters")}
            for g in CATALOG]
    # RunPod ignoring include (an answer without availability) predicts nothing either.
    p = plan("pods:\n  - name: a\n    gpu: {type: NVIDIA H200}\n    runtime: {image: x}\n",
             bare, stock_cloud="SECURE")
    assert p.landings == () and p.warnings == ()
    other = plan("pods:\n  - name: a\n    cloud_type: COMMUNITY\n    gpu: {type: NVIDIA L4}\n"
                 "    runtime: {image: x}\n", stock_cloud="SECURE")
    assert [x.unknown for x in other.landings] == [True]
    assert other.warnings == ()
    assert other.notes[-1] == ("1 new pod(s) use a cloud other than SECURE, whose stock this "
                               "plan did not read (one catalog request reads one cloud): their "
                               "placement is not predicted")


def test_any_stock_tells_stock_from_none() -> None:
    catalog = GpuCatalog.from_raw(CATALOG)
    stack = stack_from_yaml("pods:\n  - name: a\n    gpu: {type: NVIDIA H200, fallback: "
                            "[NVIDIA A40]}\n    runtime: {image: x}\n")
    from gitops_runner.plan.desired import desired_pods

    (want,) = desired_pods(stack)
    assert any_stock(want, catalog)
    assert not any_stock(want, GpuCatalog.from_raw([gpu("NVIDIA H200"), gpu("NVIDIA A40")]))
    assert predict([], GpuCatalog.from_raw([])) == ((), [], [])


def test_placements_round_trip_through_the_plan_file() -> None:
    from gitops_runner.plan.planfile import parse_plan_file, render_plan_file

    p = plan(ELEVEN)
    (back,) = parse_plan_file(render_plan_file([p]))
    assert back.landings == p.landings and back.fingerprint == p.fingerprint
    assert back.landings[-1].to_json() == {"pod": "a-10", "gpu": None, "data_center": None,
                                           "stock": None, "predicted": True}
