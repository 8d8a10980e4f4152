"""`preview list`: live previews (CONTRACT §12), found on RunPod by their stack markers."""

from __future__ import annotations

from collections.abc import Sequence

from gitops_runner.engine.preview import find_previews
from gitops_runner.engine.session import Session
from gitops_runner.report.jsonreport import dump
from gitops_runner.report.preview import list_rows, list_text


def list_previews(session: Session, configs: Sequence[str], fmt: str = "text") -> int:
    stacks = session.stacks(configs)
    with session.runpod(stacks) as access:
        live = find_previews(session, stacks, access)
    rows = list_rows(live, session.now())
    if fmt == "json":
        session.out.report(dump({"previews": rows}))
    else:
        session.out.report(list_text(rows))
    return 0
