"""What state keeps of an endpoint (CONTRACT §7's state gains `endpoints`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitops_runner.plan.endpoints import DesiredEndpoint


@dataclass(frozen=True)
class EndpointRecord:
    template_id: str
    runpod_name: str
    spec_hash: str
    created_at: str
    updated_at: str
    id: str | None = None  # None: the template was made, the endpoint not yet
    # The public bodies applied: {"template": ..., "endpoint": ...}, secrets as names.
    spec: Mapping[str, Any] = field(default_factory=dict)
    # False: the last release did not roll out; the next apply waits for it again.
    healthy: bool = True
    version: int | None = None  # the endpoint version of the last release applied
    urls: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "template_id": self.template_id,
                "runpod_name": self.runpod_name, "spec_hash": self.spec_hash,
                "created_at": self.created_at, "updated_at": self.updated_at,
                "healthy": self.healthy, "version": self.version, "urls": dict(self.urls),
                "spec": dict(self.spec)}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> EndpointRecord:
        return cls(template_id=str(raw["template_id"]), runpod_name=str(raw["runpod_name"]),
                   spec_hash=str(raw["spec_hash"]), created_at=str(raw["created_at"]),
                   updated_at=str(raw["updated_at"]),
                   id=str(raw["id"]) if raw.get("id") else None,
                   spec=dict(raw.get("spec") or {}), healthy=bool(raw.get("healthy", True)),
                   version=raw.get("version"), urls=dict(raw.get("urls") or {}))


def source_changes(want: DesiredEndpoint, record: EndpointRecord | None) -> list[str]:
    """Env keys whose declared source changed since the apply (another secret, a secret
    made plain or the reverse) while RunPod's value may be the same: still a change of
    the file, so it is reviewed and recorded (CONTRACT §4)."""
    if record is None:
        return []
    applied = (record.spec.get("template") or {}).get("env") or {}
    out = []
    for key, value in sorted(want.template_body["env"].items()):
        old = applied.get(key)
        if key not in applied or old == value or not (isinstance(old, dict)
                                                     or isinstance(value, dict)):
            continue
        out.append(f"env.{key}: {_source(old)} -> {_source(value)}")
    return out


def _source(value: Any) -> str:
    return f"secret {value['secret']}" if isinstance(value, dict) else "a plain value"
