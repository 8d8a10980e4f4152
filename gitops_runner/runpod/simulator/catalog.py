"""The simulator's GPU catalog: prices per GPU per hour, data centers, host CUDA."""

from __future__ import annotations

from typing import Any

# (id, short name, VRAM GB, secure $/h, community $/h, max count)
GPUS: list[tuple[str, str, int, float, float, int]] = [
    ("NVIDIA GeForce RTX 4090", "RTX 4090", 24, 0.69, 0.34, 8),
    ("NVIDIA RTX A6000", "RTX A6000", 48, 0.49, 0.33, 8),
    ("NVIDIA A40", "A40", 48, 0.44, 0.40, 8),
    ("NVIDIA L4", "L4", 24, 0.49, 0.43, 8),
    ("NVIDIA L40S", "L40S", 48, 0.99, 0.79, 8),
    ("NVIDIA RTX A5000", "RTX A5000", 24, 0.29, 0.16, 8),
    ("NVIDIA GeForce RTX 3090", "RTX 3090", 24, 0.46, 0.22, 8),
    ("NVIDIA A100 80GB PCIe", "A100 PCIe", 80, 1.64, 1.19, 8),
    ("NVIDIA A100-SXM4-80GB", "A100 SXM", 80, 1.74, 1.39, 8),
    ("NVIDIA H100 80GB HBM3", "H100 SXM", 80, 2.99, 2.69, 8),
    ("NVIDIA H100 PCIe", "H100 PCIe", 80, 2.39, 1.99, 8),
    ("NVIDIA H200", "H200", 141, 3.99, 3.59, 8),
    ("NVIDIA RTX PRO 4500 Blackwell", "RTX PRO 4500", 32, 0.72, 0.60, 4),
]

DATA_CENTERS: list[tuple[str, str]] = [
    ("EU-RO-1", "12.8"),
    ("US-TX-3", "12.4"),
    ("CA-MTL-1", "12.6"),
    ("US-GA-2", "12.8"),
    # CUDA 13 hosts are still rare (RUNPOD.md §8c): one data center has them.
    ("US-KS-2", "13.0"),
]

DEFAULT_CAPACITY = 64  # free GPUs per (gpu, data center, cloud)


def default_capacity() -> dict[str, int]:
    return {capacity_key(g[0], dc, cloud): DEFAULT_CAPACITY
            for g in GPUS for dc, _ in DATA_CENTERS for cloud in ("SECURE", "COMMUNITY")}


def capacity_key(gpu_id: str, dc: str, cloud: str) -> str:
    return f"{gpu_id}|{dc}|{cloud}"


def host_cuda(dc: str) -> str:
    return dict(DATA_CENTERS).get(dc, "12.4")


def memory_gb(gpu_id: str) -> float:
    """GPU memory per GPU (catalog `memory`); an unknown id counts as 24 GB."""
    return float(next((g[2] for g in GPUS if g[0] == gpu_id), 24))


def price(gpu_id: str, cloud: str) -> float | None:
    for g in GPUS:
        if g[0] == gpu_id:
            return g[3] if cloud == "SECURE" else g[4]
    return None


def gpu_types() -> list[dict[str, Any]]:
    return [
        {
            "id": gid, "name": name, "pool": None, "manufacturer": "NVIDIA", "memory": mem,
            "secure": True, "community": True,
            "price": {"secure": secure, "community": community},
            "maxCount": {"secure": max_count, "community": max_count},
        }
        for gid, name, mem, secure, community, max_count in GPUS
    ]
