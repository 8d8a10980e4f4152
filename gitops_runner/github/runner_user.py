"""Which uid the Docker action runs as.

GitHub starts a Docker action as the image's user and says not to set `USER` (the
workspace would not be reachable: "Dockerfile support for GitHub Actions", USER). So the
image starts as root, and before anything is written the action becomes the owner of
GITHUB_WORKSPACE: on hosted runners uid 1001, on self-hosted or GHES runners whatever
uid the runner service uses, and root stays root when the runner runs as root. Files
it writes in the workspace, and the $GITHUB_OUTPUT / $GITHUB_STEP_SUMMARY files (owned
by the same runner user), are then the runner's, never root's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping


def adopt_workspace_owner(env: Mapping[str, str]) -> str:
    """Drop from root to the workspace owner's uid and gid; returns what was done
    ("" when nothing was: not root, not in Actions, or the owner is root)."""
    if os.geteuid() != 0 or env.get("GITHUB_ACTIONS") != "true":
        return ""
    workspace = env.get("GITHUB_WORKSPACE", "")
    if not workspace or not os.path.isdir(workspace):
        return ""
    owner = os.stat(workspace)
    if owner.st_uid == 0:
        return ""
    os.setgroups([])
    os.setgid(owner.st_gid)
    os.setuid(owner.st_uid)  # last: after it, nothing can be changed back
    return f"running as uid {owner.st_uid} (gid {owner.st_gid}), the owner of {workspace}"
