"""The preview policy of a pull request (CONTRACT §12): the default branch's `preview`
block bound to the pull request's pods.

Pure. The pull request's file says which pods a preview runs; everything that bounds it
(label, TTL, cost cap, overrides, allow-lists) comes from the default branch's file, so
a pull request cannot raise its own limits or pick its own label.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from gitops_runner.config import parse_stack
from gitops_runner.config.model import Stack
from gitops_runner.config.yaml_loader import load_yaml_text


@dataclass(frozen=True)
class BoundPreview:
    stack: Stack | None  # the pull request's stack under the default branch's policy
    reason: str = ""  # why there is no preview (stack None)


def bind_policy(file: str, head: bytes, default: bytes | None) -> BoundPreview:
    """`head`: the pull request's file; `default`: the default branch's (None: absent)."""
    if default is None:
        return BoundPreview(None, f"{file} is not on the default branch, so it has no "
                                  "preview policy and no previews")
    policy_doc, problems = load_yaml_text(file, default)
    policy = policy_doc.data.get("preview") if policy_doc and isinstance(
        policy_doc.data, dict) else None
    if problems or policy_doc is None:
        return BoundPreview(None, f"the default branch's {file} does not parse, so its "
                                  "preview policy is unknown and no preview runs")
    if policy is None:
        return BoundPreview(None, f"the default branch's {file} has no preview block, so "
                                  "this stack has no previews")
    head_doc, problems = load_yaml_text(file, head)
    if head_doc is None or problems or not isinstance(head_doc.data, dict):
        return BoundPreview(None, f"{file} does not parse")
    # JSON is YAML: the merged document goes through the one parser and its checks.
    merged = {**head_doc.data, "preview": policy}
    stack, problems = parse_stack(file, json.dumps(merged).encode())
    if stack is None:
        first = problems[0].message if problems else "invalid"
        return BoundPreview(None, f"{file} under the default branch's preview policy is "
                                  f"invalid: {first}")
    return BoundPreview(stack)
