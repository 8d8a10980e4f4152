"""Schema errors say what to write, not what the JSON Schema says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitops_runner.config import parse_stack
from gitops_runner.config.starter import REPOSITORY, SCHEMA_URL

POD = b"""version: 1
project: {name: demo}
pods:
  - name: api
    gpu: {type: NVIDIA L40S}
    runtime: {image: vllm/vllm-openai:v0.8.5}
    models: [{id: m, repo: Qwen/Qwen2.5-7B-Instruct, load: {engine: vllm}, api_key: API_KEY}]
"""


def test_an_inline_api_key_is_told_to_use_a_secret_reference() -> None:
    _, problems = parse_stack("deploy.yaml", POD.replace(b"API_KEY", b"sk-live-123"))
    assert [(p.line, p.message) for p in problems] == [
        (7, "pods[0].models[0].api_key: must be {secret: NAME}, naming an environment variable "
            "of the runner that holds the value (got a string); never write the value itself "
            "in the deploy file")]


def test_a_secret_name_that_is_no_variable_name_says_the_rule() -> None:
    _, problems = parse_stack("deploy.yaml", POD.replace(b"API_KEY", b"{secret: 'my key'}"))
    assert [p.message for p in problems] == [
        "pods[0].models[0].api_key.secret: 'my key' is not an environment variable name: "
        "letters, digits and '_', not starting with a digit"]


def test_the_schema_id_is_the_url_it_is_published_at() -> None:
    schema = json.loads((Path(__file__).resolve().parents[2] / "schemas"
                         / "deploy.schema.json").read_text())
    assert schema["$id"] == SCHEMA_URL
    published = f"https://raw.githubusercontent.com/{REPOSITORY}/main/schemas/deploy.schema.json"
    assert published == SCHEMA_URL


def test_the_validator_checks_an_inlined_schema_with_no_reference_left() -> None:
    from gitops_runner.config.schema import _inline_refs, deploy_schema

    flat = _inline_refs(deploy_schema())
    assert "$ref" not in json.dumps(flat) and "$defs" not in flat
    with pytest.raises(ValueError, match="cannot inline"):
        _inline_refs({"$defs": {"a": {"items": {"$ref": "#/$defs/a"}}}, "$ref": "#/$defs/a"})
    # A reference with sibling keywords keeps both.
    both = _inline_refs({"$defs": {"n": {"type": "integer"}}, "$ref": "#/$defs/n", "minimum": 1})
    assert both == {"allOf": [{"type": "integer"}], "minimum": 1}
