"""What state keeps of an endpoint (CONTRACT §7's state gains `endpoints`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


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
