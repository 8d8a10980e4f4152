"""Checks of `volumes` and the pods that mount them (CONTRACT §14) the schema cannot express."""

from __future__ import annotations

import contextlib
from typing import Any

from gitops_runner.config.errors import Problem
from gitops_runner.config.yaml_loader import LoadedYaml

WALK_ERRORS = (KeyError, TypeError, AttributeError, ValueError, IndexError)


def volume_problems(doc: LoadedYaml) -> list[Problem]:
    data: dict[str, Any] = doc.data
    problems: list[Problem] = []

    def at(path: tuple[str | int, ...], message: str, key: bool = False) -> None:
        pos = doc.positions.of_key(path) if key else doc.positions.of_value(path)
        problems.append(Problem(doc.file, pos[0], pos[1], message))

    declared: dict[str, tuple[str, ...]] = {}
    for i, vol in enumerate(data.get("volumes") or []):
        with contextlib.suppress(*WALK_ERRORS):
            if vol["name"] in declared:
                at(("volumes", i, "name"), f"volumes[{i}].name: duplicate volume name "
                                           f"'{vol['name']}'")
            if ("data_center" in vol) == ("data_centers" in vol):
                at(("volumes", i), f"volumes[{i}]: set either data_center (one volume) or "
                                   "data_centers (one volume per data center)", key=True)
            dcs = vol.get("data_centers") or [vol.get("data_center")]
            declared.setdefault(vol["name"], tuple(dcs))
    project = data.get("project") or {}
    for i, pod in enumerate(data.get("pods") or []):
        with contextlib.suppress(*WALK_ERRORS):
            _check_mount(at, i, pod, project, declared)
    with contextlib.suppress(*WALK_ERRORS):
        mount = data["preview"]["overrides"]["network_volume"]
        if isinstance(mount, dict) and "name" in mount and mount["name"] not in declared:
            at(("preview", "overrides", "network_volume", "name"),
               f"preview.overrides.network_volume.name: '{mount['name']}' is not in volumes; "
               "declare it under volumes, or mount an existing volume with {id: ...}")
    return problems


def _check_mount(at: Any, i: int, pod: dict[str, Any], project: dict[str, Any],
                 declared: dict[str, tuple[str, ...]]) -> None:
    mount = pod.get("network_volume")
    if not isinstance(mount, dict):
        return
    if ("name" in mount) == ("id" in mount):
        at(("pods", i, "network_volume"), f"pods[{i}].network_volume: set either name (a volume "
           "of this file's volumes) or id (an existing volume)", key=True)
    if "name" not in mount:
        return
    where = ("pods", i, "network_volume", "name")
    name = mount["name"]
    if name not in declared:
        known = ", ".join(sorted(declared)) or "none declared"
        at(where, f"pods[{i}].network_volume.name: '{name}' is not in volumes ({known}); "
                  "declare it under volumes, or mount an existing volume with {id: ...}")
        return
    cloud = pod.get("cloud_type", project.get("cloud_type", "SECURE"))
    if cloud != "SECURE":
        # RUNPOD.md §8b: network volumes are Secure Cloud only.
        at(where, f"pods[{i}].network_volume: network volumes exist only in Secure Cloud; "
                  f"set cloud_type: SECURE on pods[{i}] (it is {cloud})")
    wanted = pod.get("data_centers", project.get("data_centers")) or []
    if wanted and not set(wanted) & set(declared[name]):
        at(where, f"pods[{i}].network_volume: volume '{name}' is in "
                  f"{', '.join(declared[name])}, none of the pod's data_centers "
                  f"({', '.join(wanted)}); a pod can only run where its volume is. Add one of "
                  "them to the volume's data_centers or the pod's")
