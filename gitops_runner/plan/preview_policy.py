"""Does a preview keep to its policy's allow-lists (CONTRACT §12)? Pure.

Each violation names the rule (`preview.allowed_images`, ...), the pod and what it asked
for, so the pull request comment says why the preview was not applied.
"""

from __future__ import annotations

from collections.abc import Iterator

from gitops_runner.config.model import PodSpec, Preview, SecretRef

# {{ RUNPOD_SECRET_name }} in env or args: a secret kept on RunPod (a name, no value).
RUNPOD_SECRET = "RUNPOD_SECRET_"  # noqa: S105


def policy_violations(preview: Preview) -> list[str]:
    out: list[str] = []
    for pod in preview.pods:
        out.extend(_pod_violations(preview, pod))
    return list(dict.fromkeys(out))


def _texts(pod: PodSpec) -> Iterator[str]:
    args = pod.runtime.args
    yield from (args,) if isinstance(args, str) else (args or ())
    yield from (v for v in pod.runtime.env.values() if isinstance(v, str))


def _pod_violations(policy: Preview, pod: PodSpec) -> Iterator[str]:
    rule = "preview."
    if policy.allowed_gpu_types:
        for gpu in pod.gpu.candidates:
            if gpu not in policy.allowed_gpu_types:
                yield (f"{rule}allowed_gpu_types: pod {pod.name} asks for {gpu}; allowed: "
                       + ", ".join(policy.allowed_gpu_types))
    image = pod.runtime.image
    if policy.allowed_images and not image.startswith(policy.allowed_images):
        yield (f"{rule}allowed_images: pod {pod.name} runs {image}; allowed prefixes: "
               + ", ".join(policy.allowed_images))
    for name, value in sorted(pod.runtime.env.items()):
        if isinstance(value, SecretRef) and value.name not in policy.allowed_secrets:
            yield (f"{rule}allowed_secrets: pod {pod.name} env {name} receives secret "
                   f"{value.name}; allowed: {', '.join(policy.allowed_secrets) or 'none'}")
    for model in pod.models:
        key = model.api_key
        if isinstance(key, SecretRef) and key.name not in policy.allowed_secrets:
            yield (f"{rule}allowed_secrets: pod {pod.name} model {model.id} api_key receives "
                   f"secret {key.name}; allowed: {', '.join(policy.allowed_secrets) or 'none'}")
    if not policy.allow_runpod_secrets and any(RUNPOD_SECRET in t for t in _texts(pod)):
        yield (f"{rule}allow_runpod_secrets: pod {pod.name} references a "
               "{{ RUNPOD_SECRET_* }} secret; the policy allows none")
    volume = pod.network_volume
    if volume is not None and volume.id is None:
        # A preview gets none of the stack's own volumes (config/preview.py).
        yield (f"{rule}network_volumes: pod {pod.name} mounts the stack's volume "
               f"{volume.name}, which a preview does not get; mount an existing volume "
               "{id: ...} that the policy lists")
    elif volume is not None and volume.id not in policy.network_volumes:
        yield (f"{rule}network_volumes: pod {pod.name} mounts network volume {volume.id}; "
               f"allowed: {', '.join(policy.network_volumes) or 'none'}")
    auth = pod.runtime.registry_auth_id
    if auth is not None and auth not in policy.registry_auth_ids:
        yield (f"{rule}registry_auth_ids: pod {pod.name} uses registry auth {auth}; "
               f"allowed: {', '.join(policy.registry_auth_ids) or 'none'}")
