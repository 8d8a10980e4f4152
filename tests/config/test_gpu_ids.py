from __future__ import annotations

from pathlib import Path

import pytest

from gitops_runner.config.gpu_ids import closest_ids, snapshot_gpus, unknown_id_message
from tests.helpers import run_cli


@pytest.mark.parametrize("name, expected", [
    ("A100 80GB", ["NVIDIA A100 80GB PCIe", "NVIDIA A100-SXM4-80GB"]),
    ("RTX4090", ["NVIDIA GeForce RTX 4090"]),
    ("H100", ["NVIDIA H100 NVL", "NVIDIA H100 PCIe", "NVIDIA H100 80GB HBM3"]),
    ("L4", ["NVIDIA L4"]),  # a short word must be a whole word: not L40, L40S
    ("NVIDIA GeForce RTX 4090 Ti", ["NVIDIA GeForce RTX 4090"]),  # "ti" is not in "Generation"
    ("NVIDA L40S", ["NVIDIA L40S"]),
    ("NVIDIA A10O", ["NVIDIA A40"]),  # no word in common: letter by letter
])
def test_closest_ids(name: str, expected: list[str]) -> None:
    assert closest_ids(name, snapshot_gpus())[:len(expected)] == expected


def test_unknown_id_message_lets_a_maker_prefixed_id_newer_than_the_snapshot_through() -> None:
    assert unknown_id_message("NVIDIA GeForce RTX 4090") is None
    assert unknown_id_message("NVIDIA RTX PRO 9000 Blackwell") is None
    # ...but not one that differs from a known id only in case or spacing.
    assert unknown_id_message("NVIDIA Geforce RTX4090") == (
        "'NVIDIA Geforce RTX4090' is not a RunPod GPU id; did you mean "
        "'NVIDIA GeForce RTX 4090'? (`gitops-runner gpus` lists every id)")


def test_validate_suggests_real_ids_with_file_line_and_column(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deploy.yaml").write_text(
        "version: 1\nproject: {name: shop, environment: dev}\npods:\n"
        "  - name: a\n    gpu: {type: A100 80GB, fallback: [RTX4090, H100]}\n"
        "    runtime: {image: x}\n")
    result = run_cli(["validate"])
    assert result.code == 1
    assert result.out.splitlines() == [
        "deploy.yaml:5:17: pods[0].gpu.type: 'A100 80GB' is not a RunPod GPU id; did you mean "
        "'NVIDIA A100 80GB PCIe' or 'NVIDIA A100-SXM4-80GB'? (`gitops-runner gpus` lists "
        "every id)",
        "deploy.yaml:5:39: pods[0].gpu.fallback[0]: 'RTX4090' is not a RunPod GPU id; did you "
        "mean 'NVIDIA GeForce RTX 4090'? (`gitops-runner gpus` lists every id)",
        "deploy.yaml:5:48: pods[0].gpu.fallback[1]: 'H100' is not a RunPod GPU id; did you mean "
        "'NVIDIA H100 NVL', 'NVIDIA H100 PCIe' or 'NVIDIA H100 80GB HBM3'? (`gitops-runner "
        "gpus` lists every id)",
    ]
