from __future__ import annotations

from gitops_runner.plan.catalog import GpuCatalog, level_for, parse_gpu, select
from gitops_runner.plan.cost import PriceBook
from gitops_runner.runpod.simulator import catalog as sim_catalog


def test_level_for_uses_each_levels_floor() -> None:
    assert [level_for(n) for n in (0, 1, 7, 8, 63, 64, 500)] == [
        "NONE", "LOW", "LOW", "MEDIUM", "MEDIUM", "HIGH", "HIGH"]


def test_parse_gpu_drops_the_price_of_a_cloud_that_does_not_offer_it() -> None:
    raw = {"id": "NVIDIA H100 NVL", "name": "H100 NVL", "memory": 94, "secure": True,
           "community": False, "price": {"secure": 2.79, "community": 0.0},
           "maxCount": {"secure": 8, "community": 0}, "availability": "low",
           "dataCenters": [{"id": "EU-RO-1", "availability": "BOGUS"}],
           "cudaVersions": [{"version": "12.8", "available": True}]}
    gpu = parse_gpu(raw)
    assert gpu is not None
    assert (gpu.offers("SECURE"), gpu.offers("COMMUNITY")) == (True, False)
    assert (gpu.availability, gpu.data_centers, gpu.cuda_versions) == (
        "LOW", (("EU-RO-1", "NONE"),), (("12.8", True),))
    assert PriceBook.from_catalog([raw]).pod_price("NVIDIA H100 NVL", 2, "COMMUNITY") is None
    assert parse_gpu({"name": "no id"}) is None


def test_select_filters_and_sorts_cheapest_first() -> None:
    catalog = GpuCatalog.from_raw(sim_catalog.gpu_types(sim_catalog.default_capacity()))
    big = [g.id for g in select(catalog, min_memory=141)]
    assert big == ["AMD Instinct MI300X OAM", "NVIDIA H200 NVL", "NVIDIA H200", "NVIDIA B200"]
    community = select(catalog, cloud="COMMUNITY", min_memory=80)
    assert "NVIDIA H100 NVL" not in [g.id for g in community]
    assert select(catalog, count=9) == []
    assert [g.id for g in select(catalog, count=5, min_memory=32)
            if g.id.startswith("NVIDIA RTX PRO 4500")] == []  # maxCount 4
    empty = GpuCatalog.from_raw(sim_catalog.gpu_types({}))
    assert select(empty, available=True) == []


def test_a_data_center_no_gpu_is_offered_in_is_named_with_the_known_ones() -> None:
    from gitops_runner.config import parse_stack
    from gitops_runner.plan.catalog import unknown_data_centers

    stack, problems = parse_stack("d.yaml", b"""version: 1
project: {name: demo}
pods:
  - {name: api, gpu: {type: NVIDIA L4}, runtime: {image: nginx}, data_centers: [EU-RO-1, EU-RO-9]}
volumes:
  - {name: cache, size_gb: 10, data_center: US-TX-9}
""")
    assert problems == [] and stack is not None
    catalog = GpuCatalog.from_raw(sim_catalog.gpu_types(sim_catalog.default_capacity()))
    found = unknown_data_centers(stack, catalog)
    assert [w.split(" offers")[0] for w in found] == [
        "pod api: data center EU-RO-9", "volume cache: data center US-TX-9"]
    assert "(known: CA-MTL-1, EU-RO-1, US-GA-2, US-KS-2, US-TX-3)" in found[0]
    # Without availability the catalog lists no data centers: nothing is judged.
    bare = GpuCatalog.from_raw([{k: v for k, v in g.items() if k not in ("availability",
                                                                         "dataCenters")}
                                for g in sim_catalog.gpu_types({})])
    assert unknown_data_centers(stack, bare) == []
