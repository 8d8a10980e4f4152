"""JSON Schema validation with errors placed on YAML lines."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path as FsPath
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from gitops_runner.config.errors import Problem
from gitops_runner.config.yaml_loader import LoadedYaml, Path


def _schema_text() -> str:
    # Installed wheels carry the schema inside the package; a source checkout
    # keeps the one canonical copy at the repository root.
    packaged = resources.files("gitops_runner").joinpath("schemas/deploy.schema.json")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    repo_copy = FsPath(__file__).resolve().parents[2] / "schemas" / "deploy.schema.json"
    return repo_copy.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def deploy_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(_schema_text())
    return schema


def _anchor_end(node: Any) -> Any:
    """Python's `$` also matches before a final newline (ECMA's does not), so
    `project: {name: "app\\n"}` would pass `^[a-z]...$`; `\\Z` is the end ECMA means."""
    if isinstance(node, dict):
        return {k: (re.sub(r"(?<!\\)\$", r"\\Z", v) if k == "pattern" and isinstance(v, str)
                    else _anchor_end(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_anchor_end(v) for v in node]
    return node


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with each local `$ref` replaced by what it points at (a sibling keyword
    kept beside it under `allOf`): validation then never looks a reference up, about a
    third faster. The deploy schema has no recursive reference; one would raise here."""

    def target(ref: str) -> Any:
        node: Any = schema
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node

    def inline(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [inline(v, seen) for v in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            ref = node["$ref"]
            if ref in seen or not ref.startswith("#/"):
                raise ValueError(f"deploy schema: cannot inline $ref {ref}")
            resolved = inline(target(ref), (*seen, ref))
            rest = {k: inline(v, seen) for k, v in node.items() if k not in ("$ref", "$defs")}
            return {"allOf": [resolved], **rest} if rest else resolved
        return {k: inline(v, seen) for k, v in node.items() if k != "$defs"}

    flat: dict[str, Any] = inline(schema, ())
    return flat


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(_inline_refs(_anchor_end(deploy_schema())))


def field_name(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "true/false",
            int: "a number", float: "a number", type(None): "empty (null)"}.get(type(value),
                                                                            type(value).__name__)


def _describe(error: ValidationError) -> tuple[Path, str, bool]:
    """Return (path, message, point_at_key) for one schema error."""
    path: Path = tuple(error.absolute_path)
    where = field_name(path)
    v = error.validator
    if v == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        key = extra[0] if extra else "?"
        return ((*path, key), f"{field_name((*path, key))}: unknown key '{key}'; allowed keys "
                              f"here: {', '.join(allowed)}", True)
    if v == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else "?"
        return path, f"{where}: missing required key '{missing}'", True
    if v == "enum":
        options = ", ".join(json.dumps(o) for o in error.validator_value)
        return path, f"{where}: {json.dumps(error.instance)} is not one of {options}", False
    if v == "const":
        return path, f"{where}: must be {json.dumps(error.validator_value)}", False
    if v == "type" and set(error.schema.get("properties", {})) == {"secret"}:
        # A secret written inline: say the one form that keeps it out of the file.
        return path, (f"{where}: must be {{secret: NAME}}, naming an environment variable of "
                      f"the runner that holds the value (got {_type_name(error.instance)}); "
                      "never write the value itself in the deploy file"), False
    if v == "type":
        return path, f"{where}: must be {error.validator_value}, got {_type_name(error.instance)}", False
    if v in ("pattern", "not") and path and path[-1] in ("name", "environment"):
        return path, (f"{where}: '{error.instance}' is not a valid name: lowercase letters, digits "
                      "and '-', starting with a letter, at most 32 characters, no '--'"), False
    if v == "pattern" and path and path[-1] == "secret":
        return path, (f"{where}: '{error.instance}' is not an environment variable name: "
                      "letters, digits and '_', not starting with a digit"), False
    if v == "pattern":
        return path, f"{where}: '{error.instance}' does not match {error.validator_value}", False
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        word = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">",
                "exclusiveMaximum": "<"}[str(v)]
        return path, f"{where}: must be {word} {error.validator_value} (got {error.instance})", False
    if v == "minItems":
        return path, f"{where}: needs at least {error.validator_value} item(s)", False
    if v == "maxItems":
        return path, f"{where}: at most {error.validator_value} item(s) allowed", False
    if v == "uniqueItems":
        return path, f"{where}: contains duplicate items", False
    if v in ("minLength", "maxLength"):
        return path, f"{where}: {_length_rule(error.schema, len(error.instance))}", False
    if v == "oneOf":
        return path, f"{where}: {_oneof_hint(path, error.instance)}", False
    if v == "propertyNames":
        return path, f"{where}: invalid key name ({error.message})", True
    return path, f"{where}: {error.message}", False


def _length_rule(schema: dict[str, Any], got: int) -> str:
    """The whole rule, so a 1-character table name hears "3-255", not "not empty"."""
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if got == 0 and low == 1:
        return "must not be empty"
    if low > 1 and high:
        return f"must be {low}-{high} characters long (got {got})"
    if got < low:
        return f"must be at least {low} characters long (got {got})"
    return f"must be at most {high} characters long (got {got})"


def _oneof_hint(path: Path, instance: Any) -> str:
    if "env" in path:
        return ("must be a string, number, true/false, or {secret: NAME} "
                f"(got {_type_name(instance)})")
    if path and path[-1] == "args":
        return f"must be a list of strings or one string (got {_type_name(instance)})"
    return f"got {_type_name(instance)}, which matches none of the allowed forms"


def schema_problems(doc: LoadedYaml) -> list[Problem]:
    problems = []
    for error in _validator().iter_errors(doc.data):
        # oneOf (env values, args) is reported once, not once per failed branch.
        path, message, at_key = _describe(error)
        line, col = doc.positions.of_key(path) if at_key else doc.positions.of_value(path)
        problems.append(Problem(doc.file, line, col, message))
    return problems
