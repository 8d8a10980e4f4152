"""RunPod GPU ids: the catalog snapshot packaged with the product, and the closest ids to
a name that is not one (CONTRACT §13).

`validate` has no network, so it checks `gpu.type`/`fallback` against the snapshot
(gitops_runner/data/gpu-catalog.json, refreshed by scripts/refresh_gpu_catalog.py from
`GET /v2/catalog/gpus`); `plan` asks the same questions of the live catalog. The
simulator's catalog is this list too, so the sandbox knows the same ids.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

# Every RunPod GPU id starts with its maker (RUNPOD.md §6.1): an id with one of these
# prefixes that the snapshot lacks may be newer than the snapshot, so `validate` lets it
# through and the plan checks it against the live catalog.
ID_PREFIXES = ("NVIDIA ", "AMD ", "Tesla ")
MAX_SUGGESTIONS = 4
_WORDS_DROPPED = ("nvidia", "geforce", "tesla", "amd", "instinct")


@lru_cache(maxsize=1)
def snapshot() -> dict[str, Any]:
    """The packaged catalog snapshot: {"source", "captured", "gpus": [GpuType...]}."""
    text = resources.files("gitops_runner.data").joinpath("gpu-catalog.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def snapshot_gpus() -> list[dict[str, Any]]:
    return [dict(g) for g in snapshot()["gpus"]]


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _tokens(text: str) -> list[str]:
    words = [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]
    return [w for w in words if w not in _WORDS_DROPPED] or words


def _holds(text: str, word: str) -> bool:
    """A short word ("ti", "l4") must be a whole word of `text`; a longer one may sit
    inside one ("rtx4090" in "GeForce RTX 4090")."""
    if len(word) < 3:
        return word in _tokens(text)
    return word in _compact(text)


def closest_ids(name: str, gpus: Iterable[Mapping[str, Any]]) -> list[str]:
    """The catalog ids closest to `name`, best first (at most MAX_SUGGESTIONS).

    The ids holding the most words of the name, in the id or the short name ("A100
    80GB" -> both A100 80GB ids; "RTX4090" -> the 4090; "H100" -> every H100);
    failing any, the ids most alike letter by letter (typos).
    """
    entries = [(str(g["id"]), f"{g['id']} {g.get('name', '')}") for g in gpus if g.get("id")]
    words = [_compact(w) for w in _tokens(name)]
    scored = [(sum(_holds(text, w) for w in words), gid) for gid, text in entries]
    best = max((score for score, _ in scored), default=0)
    if best:
        top = [gid for score, gid in scored if score == best]
        return sorted(top, key=lambda gid: (len(gid), gid))[:MAX_SUGGESTIONS]
    wanted = _compact(name)
    by_compact = {_compact(gid): gid for gid, _ in entries}
    close = difflib.get_close_matches(wanted, list(by_compact), n=MAX_SUGGESTIONS, cutoff=0.6)
    return [by_compact[c] for c in close]


def did_you_mean(ids: Sequence[str]) -> str:
    if not ids:
        return "`gitops-runner gpus` lists every id"
    quoted = [f"'{i}'" for i in ids]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f"did you mean {listed}? (`gitops-runner gpus` lists every id)"


def unknown_id_message(gpu_id: str) -> str | None:
    """Why `gpu_id` cannot be a RunPod GPU id per the snapshot, or None when it may be."""
    gpus = snapshot_gpus()
    known = {str(g["id"]) for g in gpus}
    if gpu_id in known:
        return None
    same = [k for k in known if _compact(k) == _compact(gpu_id)]
    if not same and gpu_id.startswith(ID_PREFIXES):
        return None  # perhaps newer than the snapshot: the plan checks the live catalog
    return (f"'{gpu_id}' is not a RunPod GPU id; {did_you_mean(same or closest_ids(gpu_id, gpus))}")
