"""Validate bodies against RunPod's own OpenAPI v2 schemas (a copy ships beside the client)."""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:runpod:openapi-v2"
_QUOTED = re.compile(r"'([^']*)'")


@lru_cache(maxsize=1)
def openapi() -> dict[str, Any]:
    text = resources.files("gitops_runner.runpod").joinpath("openapi-v2.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


@cache
def validator(schema_name: str) -> Draft202012Validator:
    resource = Resource.from_contents(openapi(), default_specification=DRAFT202012)
    registry: Registry = Registry().with_resource(SPEC_URI, resource)
    return Draft202012Validator({"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"},
                                registry=registry)


def runpod_errors(schema_name: str, body: Any) -> list[str]:
    """Errors in RunPod's wording, e.g. "$: additional properties 'x' not allowed"."""
    out = []
    for error in validator(schema_name).iter_errors(body):
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                              for p in error.absolute_path)
        if error.validator in ("unevaluatedProperties", "additionalProperties"):
            # jsonschema names the unexpected keys inside its message's parentheses.
            inside = error.message[error.message.find("("):]
            # A failing sub-schema makes its keys "unevaluated" too; report only
            # keys the schema does not declare anywhere.
            declared = _declared(error.schema)
            unknown = [n for n in _QUOTED.findall(inside) if n not in declared]
            if not unknown:
                continue
            names = ", ".join(f"'{n}'" for n in unknown)
            out.append(f"{where}: additional properties {names} not allowed")
        elif error.validator == "enum":
            options = ", ".join(f"'{o}'" for o in error.validator_value)
            out.append(f"{where}: value must be one of {options}")
        else:
            out.append(f"{where}: {error.message}")
    return out


def _declared(schema: dict[str, Any], depth: int = 0) -> set[str]:
    if depth > 8 or not isinstance(schema, dict):
        return set()
    ref = schema.get("$ref")
    if isinstance(ref, str) and "#/components/schemas/" in ref:
        schema = openapi()["components"]["schemas"][ref.rsplit("/", 1)[1]]
    names = set(schema.get("properties", {}))
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, []):
            names |= _declared(part, depth + 1)
    return names
