from __future__ import annotations

from pathlib import Path

import pytest

from gitops_runner.config import parse_stack
from gitops_runner.config.starter import starter_deploy

SEVERAL_MISTAKES = b"""\
version: 1
project:
  name: LLM
  environment: prod
  colour: blue
state:
  backend: s3
pods:
  - name: api
    replicas: 2
    gpu:
      type: NVIDIA GeForce RTX 4090
      count: 0
      fallback: [NVIDIA GeForce RTX 4090]
    ports: ["8000/http", "8000/tcp"]
    volume: {size_gb: 20, path: workspace}
    runtime:
      image: vllm/vllm-openai:v0.6.3
      env:
        BAD: [1, 2]
        GITOPS_RUNNER_STACK: mine
    health_check: {path: /health, port: 9000}
  - name: api
    gpu: {type: NVIDIA L4}
    runtime: {image: nginx}
"""


def test_validate_reports_every_mistake_with_line_and_column() -> None:
    _, problems = parse_stack("deploy/prod.yaml", SEVERAL_MISTAKES)
    assert [str(p) for p in problems] == [
        "deploy/prod.yaml:3:9: project.name: 'LLM' is not a valid name: lowercase letters, "
        "digits and '-', starting with a letter, at most 32 characters, no '--'",
        "deploy/prod.yaml:5:3: project.colour: unknown key 'colour'; allowed keys here: "
        "cloud_type, data_centers, environment, name",
        "deploy/prod.yaml:6:1: state: backend s3 needs 'bucket'",
        "deploy/prod.yaml:13:14: pods[0].gpu.count: must be >= 1 (got 0)",
        "deploy/prod.yaml:14:17: pods[0].gpu.fallback: lists the primary type "
        "'NVIDIA GeForce RTX 4090'; fallbacks must differ from it",
        "deploy/prod.yaml:15:26: pods[0].ports[1]: port 8000 is already exposed by ports[0]",
        "deploy/prod.yaml:16:33: pods[0].volume.path: must be an absolute path (got 'workspace')",
        "deploy/prod.yaml:20:14: pods[0].runtime.env.BAD: must be a string, number, true/false, "
        "or {secret: NAME} (got a list)",
        "deploy/prod.yaml:21:9: pods[0].runtime.env.GITOPS_RUNNER_STACK: names starting with "
        "GITOPS_RUNNER_ are reserved for gitops-runner's own markers",
        "deploy/prod.yaml:22:41: pods[0].health_check.port: 9000 is not one of the pod's http "
        "ports; add '9000/http' to ports",
        "deploy/prod.yaml:23:11: pods[1].name: duplicate pod name 'api' (also pods[0])",
    ]


def pod_doc(pod: str, extra: str = "") -> bytes:
    return (f"version: 1\nproject: {{name: demo}}\n{extra}pods:\n{pod}").encode()


BASE_POD = "  - name: api\n    gpu: {type: NVIDIA L4}\n    runtime: {image: nginx}\n"


@pytest.mark.parametrize("doc, fragment", [
    (pod_doc(BASE_POD + "    volume: {size_gb: 20, path: /w}\n"
             "    network_volume: {id: v1, path: /n}\n"), "set either volume or network_volume"),
    (pod_doc(BASE_POD + "    models: [{id: m, repo: org/m, load: {engine: ollama}}]\n"),
     "ollama has no args mapping; set runtime.args"),
    (pod_doc("  - name: api\n    gpu: {type: NVIDIA L4}\n    runtime: {image: x, args: [serve]}\n"
             "    models: [{id: m, repo: org/m, load: {engine: vllm}}]\n"),
     "both runtime.args and models are set"),
    (pod_doc(BASE_POD, "guardrails: {max_gpus: 0}\n"), "declares 1 GPUs, over the limit of 0"),
    (pod_doc(BASE_POD, "guardrails: {max_pods: 0}\n"), "declares 1 pods, over the limit of 0"),
    (pod_doc(BASE_POD, "guardrails: {allowed_gpu_types: [NVIDIA A40]}\n"),
     "'NVIDIA L4' is not in guardrails.allowed_gpu_types"),
    (pod_doc(BASE_POD, "state: {backend: local, bucket: b-1}\n"), "state.bucket: only used with backend s3"),
    (pod_doc(BASE_POD, "state: {backend: local, lock: {backend: dynamodb}}\n"),
     "local state always uses a file lock"),
    (pod_doc(BASE_POD, "state: {backend: s3, bucket: bkt, lock: {backend: dynamodb}}\n"),
     "backend dynamodb needs 'table'"),
    (pod_doc(BASE_POD + "    tags: {team: a, TEAM: b}\n"), "both become GITOPS_RUNNER_TAG_TEAM"),
    (pod_doc(BASE_POD + "  - name: api-0\n    gpu: {type: NVIDIA L4}\n    runtime: {image: x}\n"
             .replace("api-0", "web")), None),
    (pod_doc("  - name: api\n    replicas: 2\n    gpu: {type: NVIDIA L4}\n    runtime: {image: x}\n"
             "  - name: api-1\n    gpu: {type: NVIDIA L4}\n    runtime: {image: x}\n"),
     "collides with pods[0]"),
    (pod_doc("  - name: api\n    gpu: {type: NVIDIA L4}\n    runtime:\n      image: x\n"
             "      env: {K: '{{ RUNPOD_SECRET_x'}\n"), "malformed"),
    (pod_doc("  - name: api\n    gpu: {type: NVIDIA L4}\n    runtime:\n      image: x\n"
             "      env: {HF_TOKEN: '${{ secrets.HF_TOKEN }}'}\n"),
     "runtime.env.HF_TOKEN: '${{ secrets.HF_TOKEN }}' is a GitHub Actions expression, which is "
     "not expanded in a deploy file; write HF_TOKEN: {secret: HF_TOKEN} and pass HF_TOKEN to "
     "the job's env in the workflow (HF_TOKEN: ${{ secrets.HF_TOKEN }})"),
    (pod_doc(BASE_POD + "    ports: ['70000/http']\n"), "out of range"),
    (pod_doc(BASE_POD.replace("{image: nginx}", "{image: nginx, env: {"
                              + ", ".join(f"K{i}: v" for i in range(47)) + "}}")), None),
    (pod_doc(BASE_POD.replace("{image: nginx}", "{image: nginx, env: {"
                              + ", ".join(f"K{i}: v" for i in range(46)) + "}}")
             + "    tags: {a: b, c: d}\n"),
     "carry 51 env vars (46 declared, 3 gitops-runner markers, 2 tags); RunPod allows at most 50"),
])
def test_validate_semantic_rules(doc: bytes, fragment: str | None) -> None:
    _, problems = parse_stack("d.yaml", doc)
    if fragment is None:
        assert problems == []
    else:
        assert any(fragment in str(p) for p in problems), [str(p) for p in problems]


def test_validate_starter_file_is_valid() -> None:
    stack, problems = parse_stack("deploy/dev.yaml", starter_deploy("demo").encode())
    assert problems == [] and stack is not None
    assert stack.pods[0].health_check is not None
    assert stack.state.backend == "local"


def test_validate_s3_starter_file_is_valid() -> None:
    stack, problems = parse_stack("deploy/dev.yaml",
                                  starter_deploy("demo", "acme-state", "acme-locks").encode())
    assert problems == [] and stack is not None
    assert (stack.state.backend, stack.state.bucket) == ("s3", "acme-state")
    assert (stack.state.lock.backend, stack.state.lock.table) == ("dynamodb", "acme-locks")


def test_validate_project_defaults_flow_into_pods() -> None:
    stack, _ = parse_stack("d.yaml", b"version: 1\nproject: {name: p, cloud_type: COMMUNITY, "
                                     b"data_centers: [EU-RO-1]}\npods:\n" + BASE_POD.encode())
    assert stack is not None
    assert stack.pods[0].cloud_type == "COMMUNITY"
    assert stack.pods[0].data_centers == ("EU-RO-1",)
    assert stack.environment == "dev"


@pytest.mark.parametrize("doc", [
    b'version: 1\nproject: {name: "demo\\n"}\npods:\n' + BASE_POD.encode(),
    b'version: 1\nproject: {name: demo, environment: "prod\\n"}\npods:\n' + BASE_POD.encode(),
    pod_doc("  - name: \"api\\n\"\n    gpu: {type: NVIDIA L4}\n    runtime: {image: nginx}\n"),
])
def test_validate_a_trailing_newline_never_passes_a_pattern(doc: bytes) -> None:
    # Python's `$` matches before a final newline; the schema's patterns mean the end.
    _, problems = parse_stack("d.yaml", doc)
    assert problems, "a name ending in a newline would break the plan comment's marker"


def test_validate_env_limit_points_at_the_env_mapping() -> None:
    env = "".join(f"        K{i}: v\n" for i in range(48))
    doc = pod_doc("  - name: api\n    gpu: {type: NVIDIA L4}\n    runtime:\n      image: x\n"
                  "      env:\n" + env)
    _, problems = parse_stack("d.yaml", doc)
    assert [str(p) for p in problems] == [
        "d.yaml:8:7: pods[0].runtime.env: the pod would carry 51 env vars (48 declared, 3 "
        "gitops-runner markers, 0 tags); RunPod allows at most 50. Remove env vars or tags"]


MOVED = b"""\
version: 1
project: {name: app}
guardrails: {allow_data_loss: true}
moved:
  - {from: chat, to: api}
  - {from: api, to: gone}
pods:
  - name: api
    gpu: {type: NVIDIA L4}
    runtime: {image: nginx}
"""


def test_validate_moved_entries_name_a_new_entry_and_a_gone_one() -> None:
    stack, problems = parse_stack("d.yaml", MOVED)
    assert [str(p) for p in problems] == [
        "d.yaml:6:12: moved[1].from: 'api' is still a pod entry; a moved entry's old name "
        "must be gone from the file",
        "d.yaml:6:21: moved[1].to: no pod entry or volume named 'gone'; `to` is the entry's "
        "new name",
    ]
    fine, ok = parse_stack("d.yaml", MOVED.replace(b"  - {from: api, to: gone}\n", b""))
    assert ok == [] and fine is not None
    assert fine.moved == {"chat": "api"} and fine.guardrails.allow_data_loss
    assert fine.moved_at == {"chat": "d.yaml:5:22"}


def test_validate_moved_a_pod_entry_onto_a_volume_is_an_error_at_the_entry() -> None:
    raw = MOVED.replace(b"  - {from: api, to: gone}\n", b"  - {from: api, to: cache}\n") + \
        b"volumes: [{name: cache, size_gb: 20, data_center: EU-RO-1}]\n"
    _, problems = parse_stack("d.yaml", raw)
    assert [str(p) for p in problems] == [
        "d.yaml:6:21: moved[1]: 'api' is a pod entry and 'cache' a volume; a pod moves to a "
        "pod entry, a volume to a volume"]
    renamed, ok = parse_stack("d.yaml", raw.replace(b"{from: api, to: cache}",
                                                     b"{from: weights, to: cache}"))
    assert ok == [] and renamed is not None
    assert renamed.moved == {"chat": "api", "weights": "cache"}


MODEL_POD = """version: 1
project: {{name: demo}}
pods:
  - name: api
    gpu: {{type: NVIDIA L40S}}
    ports: ["8000/http"]
    runtime: {{image: "{image}"}}
    models: [{{id: m, repo: Qwen/Qwen2.5-7B-Instruct-AWQ, load: {load}}}]
"""


@pytest.mark.parametrize("image, load, message", [
    ("vllm/vllm-openai:v0.20.1", "{engine: vllm, options: {port: 9000}}",
     "--port is already derived from the model"),
    ("ghcr.io/huggingface/text-generation-inference:3.0.1",
     "{engine: tgi, max_seq_len: 4096, options: {max-total-tokens: 8192}}",
     "--max-total-tokens is already derived"),
    ("ghcr.io/huggingface/text-generation-inference:3.0.1", "{engine: tgi, quant: awq_marlin}",
     "'awq_marlin' is not a quantisation method tgi knows"),
    ("vllm/vllm-openai:v0.20.1", "{engine: vllm, quant: awq4}",
     "'awq4' is not a quantisation method vllm knows"),
])
def test_validate_refuses_flags_the_server_rejects(image: str, load: str, message: str) -> None:
    _, problems = parse_stack("d.yaml", MODEL_POD.format(image=image, load=load).encode())
    assert [p.line for p in problems] == [8] and message in problems[0].message, problems


def test_validate_lists_problems_in_the_order_plan_does(tmp_path: Path) -> None:
    from gitops_runner.config import check_files
    from gitops_runner.config.errors import ConfigError

    path = tmp_path / "deploy.yaml"
    path.write_bytes(pod_doc(BASE_POD, "preview: {label: preview}\n"))
    _, problems = check_files([str(path)])
    assert len(problems) == 2
    assert problems == ConfigError(problems).problems
