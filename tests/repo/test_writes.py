"""Every RunPod write of the product goes through engine/writer.py (CONTRACT §7): the
fence is checked right before it is sent, and an answer after a lost lease is reported.
A write method called anywhere else is a write that can bypass both."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "gitops_runner"
WRITES = re.compile(r"\.(create_pod|update_pod|delete_pod|pod_action|create_network_volume|"
                    r"update_network_volume|delete_network_volume|create_template|"
                    r"update_template|delete_template|create_endpoint|update_endpoint|"
                    r"delete_endpoint)\(|request\(\s*\"(POST|PATCH|DELETE)\"")


def test_runpod_writes_are_sent_only_by_the_writer() -> None:
    callers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "engine/writer.py" or rel.startswith(("runpod/", "github/")):
            continue  # the Writer; the client's own definitions; GitHub's API
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if WRITES.search(line) and not line.lstrip().startswith("def "):
                callers.append(f"{rel}:{number}: {line.strip()}")
    # The Writer's own methods are called as writer.create(...), writes.create_template(...)
    bypass = [c for c in callers if not re.search(r"\b(writer|writes|self\.writes|"
                                                   r"w)\.\w+\(", c.split(": ", 1)[1])]
    assert bypass == [], "\n".join(bypass)
