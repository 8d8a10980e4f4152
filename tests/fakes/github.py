"""A small fake of GitHub's REST API on 127.0.0.1: comments, issues, labels, commit
pulls and workflow runs, with Link pagination and a read-only-token mode."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class GitHubState:
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> comment
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    labels: set[str] = field(default_factory=set)
    commit_pulls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, body
    read_only: bool = False
    broken: bool = False  # every request answers 502
    page_size: int = 2
    next_id: int = 1000

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        raw = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _page(self, items: list[Any], url: Any, query: dict[str, str]) -> None:
        size = min(int(query.get("per_page", "30")), self.server.state.page_size)
        page = int(query.get("page", "1"))
        chunk = items[(page - 1) * size: page * size]
        headers = {}
        if page * size < len(items):
            q = {**query, "page": str(page + 1)}
            nxt = f"http://{self.headers['Host']}{url.path}?" + "&".join(
                f"{k}={v}" for k, v in q.items())
            headers["Link"] = f'<{nxt}>; rel="next"'
        self._send(200, chunk, headers)

    def _handle(self, method: str) -> None:
        st = self.server.state
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        body = json.loads(raw) if raw else {}
        with self.server.lock:
            st.requests.append((method, url.path, raw))
            if not self.headers.get("Authorization", "").startswith("Bearer "):
                self._send(401, {"message": "Requires authentication"})
                return
            if self.headers.get("X-GitHub-Api-Version") != "2022-11-28":
                self._send(400, {"message": "missing API version header"})
                return
            if st.broken:
                self._send(502, {"message": "Bad Gateway"})
                return
            if st.read_only and method != "GET":
                self._send(403, {"message": "Resource not accessible by integration"})
                return
            self._route(method, url, query, body)

    def _route(self, method: str, url: Any, query: dict[str, str], body: Any) -> None:
        st = self.server.state
        path = url.path
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)/comments", path):
            number = int(m.group(1))
            if method == "GET":
                items = [c for c in st.comments.values() if c["issue"] == number]
                self._page(sorted(items, key=lambda c: c["id"]), url, query)
                return
            cid = st.new_id()
            st.comments[cid] = {"id": cid, "issue": number, "body": body["body"],
                                "html_url": f"https://github.test/c/{cid}"}
            self._send(201, st.comments[cid])
            return
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/comments/(\d+)", path):
            cid = int(m.group(1))
            if cid not in st.comments:
                self._send(404, {"message": "Not Found"})
            elif method == "PATCH":
                st.comments[cid]["body"] = body["body"]
                self._send(200, st.comments[cid])
            else:
                del st.comments[cid]
                self._send(204)
            return
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/commits/([0-9a-f]+)/pulls", path):
            self._send(200, st.commit_pulls.get(m.group(1), []))
            return
        if re.fullmatch(r"/repos/[^/]+/[^/]+/labels", path):
            if body["name"] in st.labels:
                self._send(422, {"message": "Validation Failed"})
            else:
                st.labels.add(body["name"])
                self._send(201, {"name": body["name"]})
            return
        if re.fullmatch(r"/repos/[^/]+/[^/]+/issues", path):
            if method == "GET":
                items = [i for i in st.issues.values()
                         if i["state"] == query.get("state", "open")
                         and query.get("labels", "") in i["labels"]]
                self._page(sorted(items, key=lambda i: i["number"]), url, query)
                return
            if any(label not in st.labels for label in body.get("labels", [])):
                self._send(422, {"message": "label does not exist"})
                return
            number = st.new_id()
            st.issues[number] = {"number": number, "title": body["title"], "body": body["body"],
                                 "labels": body.get("labels", []), "state": "open"}
            self._send(201, st.issues[number])
            return
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)", path):
            issue = st.issues[int(m.group(1))]
            issue.update({k: v for k, v in body.items() if k in ("body", "state", "title")})
            self._send(200, issue)
            return
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/actions/runs/(\d+)", path):
            run = st.runs.get(m.group(1))
            self._send(200 if run else 404, run or {"message": "Not Found"})
            return
        self._send(404, {"message": f"fake has no route for {method} {path}"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: GitHubState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state
        self.lock = threading.Lock()


@contextmanager
def fake_github(state: GitHubState | None = None) -> Iterator[tuple[str, GitHubState]]:
    state = state or GitHubState()
    server = _Server(state)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
