"""Endpoint bodies: what is sent matches RunPod's v2 schemas, secrets stay references
until a request, and every field of the file reaches a body (CONTRACT §14)."""

from __future__ import annotations

from gitops_runner.config import parse_stack
from gitops_runner.plan.endpoints import desired_endpoints, resolved_template
from gitops_runner.runpod.simulator.spec import runpod_errors
from tests.config.test_endpoints import GOOD


def test_endpoint_and_template_bodies_match_the_v2_schemas_and_carry_every_field() -> None:
    stack, _ = parse_stack("d.yaml", GOOD)
    assert stack is not None
    (want,) = desired_endpoints(stack, "lineage-1")
    body = dict(want.endpoint_body)
    assert runpod_errors("CreateEndpointRequest", {**body, "templateId": "t"}) == []
    patch = {k: v for k, v in body.items() if k not in ("name", "type")}
    assert runpod_errors("UpdateEndpointRequest", patch) == []
    assert body["gpu"] == {"pools": ["ADA_24", "AMPERE_48"], "count": 2,
                           "excludedTypes": ["NVIDIA GeForce RTX 4090"], "minCudaVersion": "12.4"}
    assert (body["workers"], body["scaling"], body["flashboot"], body["timeout"]) == (
        {"min": 1, "max": 3, "idleTimeout": 5}, {"type": "REQUEST_COUNT", "requestCount": 4},
        "FLASHBOOT", 600_000)
    assert (body["dataCenterIds"], body["networkVolumes"]) == (["EU-RO-1"], ["vol_abc"])
    assert want.template_body["env"]["HF_TOKEN"] == {"secret": "HF_TOKEN"}
    assert want.template_body["env"]["HF_HOME"] == "/runpod-volume/huggingface"
    assert want.template_body["disk"] == 40
    # A load balancer's workers serve on PORT (80 unless set): the derived args follow it.
    assert want.template_body["args"].endswith("--tensor-parallel-size 2 --host 0.0.0.0 "
                                               "--port 80")
    sent = resolved_template(want, {"HF_TOKEN": "hf-value"})
    assert runpod_errors("CreateTemplateRequest", sent) == []
    assert sent["env"]["HF_TOKEN"] == "hf-value"
    assert sent["env"]["GITOPS_RUNNER_SPEC"] == want.template_hash
    assert sent["env"]["GITOPS_RUNNER_LINEAGE"] == "lineage-1"
    assert "hf-value" not in want.spec_hash and want.template_body["env"] != sent["env"]


def test_state_without_endpoints_still_loads_and_endpoints_round_trip() -> None:
    from gitops_runner.plan.endpoint_state import EndpointRecord
    from gitops_runner.plan.statefile import StateDoc, parse_state, render_state

    old = StateDoc.empty("demo/prod", "lin")
    text = render_state(old)
    assert "endpoints" not in text  # a state without endpoints is written as before
    assert parse_state(text).endpoints == {}
    record = EndpointRecord("tpl1", "demo-prod-chat", "h", "t0", "t1", "ep1",
                            {"template": {"image": "a"}}, False, 3,
                            {"run": "https://api.runpod.ai/v2/ep1/run"})
    doc = parse_state(render_state(old.with_endpoint("chat", record)))
    assert doc.endpoints == {"chat": record}
