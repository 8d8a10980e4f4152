"""The envelope every `--format json` report shares: a `format_version` first, so
scripts can tell a shape they know (README, "JSON reports"; schemas/reports/)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# Raised only when a key is removed or changes meaning; new keys keep the version.
REPORT_FORMAT_VERSION = 1


def envelope(data: Mapping[str, Any]) -> dict[str, Any]:
    return {"format_version": REPORT_FORMAT_VERSION, **data}


def dump(data: Mapping[str, Any]) -> str:
    return json.dumps(envelope(data), indent=2)
