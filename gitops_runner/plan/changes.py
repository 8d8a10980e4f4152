"""Changes as data (CONTRACT §4): what a plan action changes, field by field, what data
it destroys, and which guardrail it breaks. Plans carry these values; reasons and
sentences are rendered from them last.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

SENSITIVE = "(sensitive)"


class ActionKind(StrEnum):
    """The plan's action kinds; equal to their plain strings ("create" == CREATE)."""

    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    ADOPT = "adopt"
    START = "start"
    STOP = "stop"


ACTION_KINDS = tuple(k.value for k in ActionKind)


@dataclass(frozen=True)
class FieldChange:
    """One field going from `before` to `after`. `sensitive`: a value is masked (a side
    that is SENSITIVE is never a secret's value); `forces_replace`: needs a new pod."""

    field: str
    before: Any
    after: Any
    forces_replace: bool = False
    sensitive: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "before": self.before, "after": self.after,
                "forces_replace": self.forces_replace, "sensitive": self.sensitive}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FieldChange:
        return cls(str(raw["field"]), raw.get("before"), raw.get("after"),
                   bool(raw.get("forces_replace", False)), bool(raw.get("sensitive", False)))

    @property
    def rotated(self) -> bool:
        """A secret whose value changed: both sides masked."""
        return self.sensitive and self.before == SENSITIVE and self.after == SENSITIVE

    def describe(self) -> str:
        """`field: before -> after`, in the forms reviewers already know."""
        if self.rotated:
            return f"{self.field}: (sensitive value changed)"
        if self.field.startswith("env.") and self.before is None:
            return f"{self.field}: added {show(self.after)}"
        if self.field.startswith("env.") and self.after is None:
            return f"{self.field}: removed"
        template = _TEMPLATES.get(self.field)
        if template is not None:
            return template(self)
        return f"{self.field}: {show(self.before)} -> {show(self.after)}"


def _gpu(c: FieldChange) -> str:
    candidates = list(c.after) if isinstance(c.after, list | tuple) else [c.after]
    rest = f" (or fallback {show(candidates[1:])})" if len(candidates) > 1 else ""
    return f"gpu: {show(c.before)} -> {show(candidates[0])}{rest}"


def _plain(c: FieldChange) -> str:
    return f"{c.field}: {c.before} -> {c.after}"


_TEMPLATES = {
    "gpu": _gpu,
    "cloud_type": _plain,
    "env": lambda c: "env: changed",
    "storage": _plain,
    "data_centers": lambda c: f"data_centers: pod is in {c.before}, allowed now {show(c.after)}",
    "gpu.min_cuda_version": lambda c: (f"gpu.min_cuda_version: host has CUDA {c.before}, "
                                       f"below {c.after}"),
}


def show(value: Any) -> str:
    if value is None or value == "":
        return "(none)"
    if value == SENSITIVE:
        return SENSITIVE
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    return repr(value) if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class Destroyed:
    """Data an action destroys: a pod volume (kind "pod volume") or a network volume."""

    kind: str
    size_gb: int | None
    path: str | None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "size_gb": self.size_gb, "path": self.path}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Destroyed:
        return cls(str(raw["kind"]), raw.get("size_gb"), raw.get("path"))

    def describe(self) -> str:
        size = f" {self.size_gb} GB" if self.size_gb is not None else ""
        where = f" at {self.path}" if self.path else ""
        return f"destroys: {self.kind}{size}{where}"


@dataclass(frozen=True)
class Violation:
    """One broken limit: `rule` is the guardrails key (`max_hourly_cost`, `allow_delete`, ...;
    `gpu_catalog` for an id the catalog does not offer), `limit` its setting, `value` what the
    plan would do; `str()` is the sentence reviewers read."""

    rule: str
    limit: Any
    value: Any
    message: str

    def __str__(self) -> str:
        return self.message

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "limit": self.limit, "value": self.value,
                "message": self.message}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Violation:
        return cls(str(raw["rule"]), raw.get("limit"), raw.get("value"), str(raw["message"]))
