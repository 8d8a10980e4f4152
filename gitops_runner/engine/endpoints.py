"""Carry out endpoint actions (CONTRACT §14): the template first, then the endpoint,
then wait for the release to roll out. Every change is journaled as it happens, so a
crash between the template and the endpoint leaves a state (and a template carrying
our markers) that the next plan adopts instead of making a second template."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from gitops_runner.engine.clock import Clock
from gitops_runner.engine.endpoint_wait import wait_rollout
from gitops_runner.engine.fence import Fence
from gitops_runner.engine.journal import Journal
from gitops_runner.engine.writer import Writer
from gitops_runner.plan.endpoint_diff import EndpointAction
from gitops_runner.plan.endpoint_state import EndpointRecord
from gitops_runner.plan.endpoints import (
    MARKER_ENDPOINT,
    DesiredEndpoint,
    ServerlessView,
    owned,
    resolved_template,
)
from gitops_runner.plan.identity import MARKER_LINEAGE, MARKER_STACK
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import (
    CreateOutcomeUnknownError,
    NotFoundError,
    RunPodError,
    TransientError,
)
from gitops_runner.runpod.serverless import ServerlessApi


def observe_serverless(client: RunPodClient) -> ServerlessView:
    api = ServerlessApi(client)
    return ServerlessView.of(api.list_templates(), api.list_endpoints())


@dataclass
class EndpointOutcome:
    endpoint: str
    action: str
    change: str
    ok: bool
    detail: str = ""
    endpoint_id: str | None = None
    urls: dict[str, str] = field(default_factory=dict)
    retry: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "action": self.action, "change": self.change,
                "endpoint_id": self.endpoint_id, "ok": self.ok, "detail": self.detail,
                "urls": dict(self.urls)}


@dataclass
class EndpointRunner:
    client: RunPodClient
    journal: Journal
    stack: str
    secrets: Mapping[str, str]
    clock: Clock
    log: Callable[[str], None]
    poll_seconds: float = 5.0
    fence: Fence | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.api = ServerlessApi(self.client)  # reads
        if self.fence is not None:
            self.cancel = self.fence.event
        # Every write through the run's Writer: the fence before it, a late answer reported.
        self.writes = Writer(self.client, self.fence or Fence(self.clock))

    def execute(self, actions: Sequence[EndpointAction]) -> list[EndpointOutcome]:
        out = []
        for action in actions:
            try:
                out.append(self._one(action))
            except TransientError as exc:
                out.append(EndpointOutcome(action.endpoint, action.action, action.change, False,
                                           str(exc), action.endpoint_id, retry=True))
            except RunPodError as exc:
                out.append(EndpointOutcome(action.endpoint, action.action, action.change, False,
                                           str(exc), action.endpoint_id))
            if self.fence is not None and self.fence.lost:
                break
        return out

    def _write(self) -> None:
        if self.fence is not None:
            self.fence.check()  # no RunPod write once the lease is lost

    def _one(self, a: EndpointAction) -> EndpointOutcome:
        if a.action == "delete":
            return self._delete(a)
        assert a.desired is not None, "a create or update carries its desired endpoint"
        want = a.desired
        template_id = a.template_id
        if a.action == "create" or a.template_patch or template_id is None:
            template_id = self._template(a, want, template_id)
        if a.action == "create":
            endpoint = self._create(want, template_id)
        else:
            assert a.endpoint_id is not None
            endpoint = self._update(a, want, template_id)
        self._record(want, template_id, endpoint, healthy=False)
        urls = _urls(endpoint)
        done = wait_rollout(self.api, endpoint["id"], want.spec.workers.min, self.clock,
                            self.poll_seconds, self.cancel) if (
            a.action == "create" or a.change in ("release", "wait")) else None
        ok = done is None or done.ok
        self.journal.update(lambda doc: doc.with_endpoint(want.name, replace(
            doc.endpoints[want.name], healthy=ok,
            version=done.version if done and done.version is not None
            else doc.endpoints[want.name].version)))
        detail = done.detail if done is not None else "rescaled; no worker restarted"
        self.log(f"{self.stack}: endpoint {want.name}: {a.action} "
                 f"{'(' + a.change + ') ' if a.change else ''}{'ok' if ok else 'FAILED'}: "
                 f"{detail}")
        return EndpointOutcome(want.name, a.action, a.change, ok, detail, endpoint["id"], urls)

    def _template(self, a: EndpointAction, want: DesiredEndpoint, template_id: str | None) -> str:
        body = resolved_template(want, self.secrets)
        self._write()
        if template_id is not None:
            patch = {k: v for k, v in body.items() if k not in ("startSsh", "startJupyter")}
            # Explicit empties clear what a PATCH would otherwise keep.
            patch["args"] = want.template_body["args"]
            patch.setdefault("registry", None)
            return str(self.writes.update_template(template_id, patch)["id"])
        if want.name not in self.journal.doc.endpoints:
            # The intent first: state (and its lineage, which the template's marker names)
            # is written before the POST, so a crash right after it is adopted (§5, §10).
            self._record(want, "", None, healthy=False)
        try:
            made = self.writes.create_template(body)
        except CreateOutcomeUnknownError:
            found = self._find("templates", want)
            if found is None:
                raise
            made = found
        template_id = str(made["id"])
        # Journaled before the endpoint exists: a crash from here on is adopted (§5).
        self._record(want, template_id, None, healthy=False)
        return template_id

    def _create(self, want: DesiredEndpoint, template_id: str) -> dict[str, Any]:
        body = {**want.endpoint_body, "templateId": template_id}
        self._write()
        try:
            return self.writes.create_endpoint(body)
        except CreateOutcomeUnknownError:
            found = self._find("endpoints", want)
            if found is None:
                raise
            return found

    def _update(self, a: EndpointAction, want: DesiredEndpoint,
                template_id: str) -> dict[str, Any]:
        assert a.endpoint_id is not None
        body: dict[str, Any] = {k: want.endpoint_body[k] for k in a.endpoint_patch}
        if "gpu" in body and "minCudaVersion" not in body["gpu"]:
            # An omitted floor is left as it was; "" clears it (UpdateEndpointGpuConfig).
            body["gpu"] = {**body["gpu"], "minCudaVersion": ""}
        if a.change == "release":
            # The endpoint holds a snapshot of its template: re-applying it is what
            # makes the new release ("templateId", UpdateEndpointRequest).
            body["templateId"] = template_id
        if not body:
            return self.api.get_endpoint(a.endpoint_id)
        self._write()
        return self.writes.update_endpoint(a.endpoint_id, body)

    def _delete(self, a: EndpointAction) -> EndpointOutcome:
        self._write()
        if a.endpoint_id is not None:
            with contextlib.suppress(NotFoundError):
                self.writes.delete_endpoint(a.endpoint_id)  # deletes its bound template too
        if a.template_id is not None:
            with contextlib.suppress(NotFoundError):  # gone with its endpoint
                self.writes.delete_template(a.template_id)
        self.journal.update(lambda doc: doc.with_endpoint(a.endpoint, None))
        self.log(f"{self.stack}: endpoint {a.endpoint}: deleted")
        return EndpointOutcome(a.endpoint, "delete", "", True, "deleted", a.endpoint_id)

    def _find(self, kind: str, want: DesiredEndpoint) -> dict[str, Any] | None:
        """After a create whose outcome is unknown: ours by name and markers, if made. Our
        lineage too: another state of this stack names its own the same way (§5)."""
        items = self.api.list_templates() if kind == "templates" else self.api.list_endpoints()
        for item in items:
            env = item.get("env") or {}
            if (item.get("name") == want.runpod_name and env.get(MARKER_STACK) == self.stack
                    and env.get(MARKER_ENDPOINT) == want.name
                    and env.get(MARKER_LINEAGE) == self.journal.doc.lineage):
                return item
        return None

    def _record(self, want: DesiredEndpoint, template_id: str,
                endpoint: Mapping[str, Any] | None, healthy: bool) -> None:
        now = self.journal.now_text()

        def change(doc: Any) -> Any:
            old = doc.endpoints.get(want.name)
            return doc.with_endpoint(want.name, EndpointRecord(
                template_id=template_id, runpod_name=want.runpod_name,
                spec_hash=want.spec_hash, created_at=old.created_at if old else now,
                updated_at=now, id=str(endpoint["id"]) if endpoint else (old.id if old else None),
                spec={"template": dict(want.template_body),
                      "endpoint": dict(want.endpoint_body)},
                healthy=healthy, version=old.version if old else None,
                urls=_urls(endpoint) if endpoint else {}))

        self.journal.update(change)


def _urls(endpoint: Mapping[str, Any] | None) -> dict[str, str]:
    urls = (endpoint or {}).get("requestUrls")
    return {str(k): str(v) for k, v in urls.items()} if isinstance(urls, dict) else {}


def destroy_endpoints(client: RunPodClient, journal: Journal, stack: str, lineage: str,
                      fence: Fence, log: Callable[[str], None]) -> tuple[list[str], list[str]]:
    """`destroy`: delete every endpoint (and template) of the stack, by state or by our
    markers and lineage; foreign and unmarked ones stay. Returns (deleted, failures)."""
    doc = journal.doc
    view = observe_serverless(client)
    recorded = {i: n for n, r in doc.endpoints.items() for i in (r.id, r.template_id) if i}
    ours = owned(view, stack, lineage, {}, recorded)
    writes = Writer(client, fence)
    deleted: list[str] = []
    failures: list[str] = []
    for name in sorted(set(doc.endpoints) | set(ours.endpoints) | set(ours.templates)):
        endpoint, template = ours.endpoints.get(name), ours.templates.get(name)
        try:
            for kind, item in (("endpoint", endpoint), ("template", template)):
                if item is None:
                    continue
                fence.check()
                try:
                    (writes.delete_endpoint if kind == "endpoint"
                     else writes.delete_template)(item.id)
                    log(f"deleted {kind} {item.name} ({item.id})")
                except NotFoundError:
                    pass  # the template went with its endpoint
        except RunPodError as exc:
            failures.append(f"endpoint {name}: {exc}")
            continue
        deleted.append(name)
        if name in journal.doc.endpoints:
            journal.update(lambda d, n=name: d.with_endpoint(n, None))  # type: ignore[misc]
    return deleted, failures
