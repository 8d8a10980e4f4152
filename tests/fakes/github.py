"""A small fake of GitHub's REST API on 127.0.0.1: comments, issues, labels, commit
pulls and workflow runs, with Link pagination, authors (who a token is, User or Bot), a
read-only-token mode, a commits->pulls link that lags, and scripted failures (5xx, 429,
secondary rate limits). Event payloads for the events the action meets are built here too."""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

BOT = {"login": "github-actions[bot]", "type": "Bot", "id": 41898282}


def user(login: str, kind: str = "User") -> dict[str, Any]:
    return {"login": login, "type": kind, "id": abs(hash(login)) % 10**8}


@dataclass
class Failure:
    """One scripted answer instead of the real one."""

    status: int
    message: str = "Server Error"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class GitHubState:
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> comment
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    labels: set[str] = field(default_factory=set)
    commit_pulls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)  # number -> pull request
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, body
    read_only: bool = False
    broken: bool = False  # every request answers 502
    page_size: int = 2
    next_id: int = 1000
    # Who each token is; any other token is the Actions bot (GITHUB_TOKEN).
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    # commits/{sha}/pulls answers [] this many times before the real answer (the lag
    # GitHub shows right after a merge).
    pulls_lag: int = 0
    failures: list[Failure] = field(default_factory=list)  # answered first, in order
    # Files by ref (branch) then path, served by the contents API (base64, like GitHub).
    files: dict[str, dict[str, str]] = field(default_factory=dict)
    # Labels each issue / pull request carries (DELETE .../labels/{name} takes one off).
    issue_labels: dict[int, list[str]] = field(default_factory=dict)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    author: dict[str, Any] = BOT

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
            auth = self.headers.get("Authorization", "")
            self.author = st.tokens.get(auth.removeprefix("Bearer "), BOT)
            if st.failures:
                f = st.failures.pop(0)
                self._send(f.status, {"message": f.message}, f.headers)
                return
            if not auth.startswith("Bearer "):
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
                                "user": dict(self.author),
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
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)/labels/([^/]+)", path):
            # DELETE answers 200 with the labels left, or 404 "Label does not exist"
            # (docs.github.com/rest/issues/labels#remove-a-label-from-an-issue).
            labels = st.issue_labels.setdefault(int(m.group(1)), [])
            name = unquote(m.group(2))
            if method != "DELETE" or name not in labels:
                self._send(404, {"message": "Label does not exist"})
                return
            labels.remove(name)
            self._send(200, [{"name": n} for n in labels])
            return
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/contents/(.+)", path):
            text = st.files.get(query.get("ref", "main"), {}).get(unquote(m.group(1)))
            if text is None:
                self._send(404, {"message": "Not Found"})
                return
            self._send(200, {"type": "file", "encoding": "base64", "path": unquote(m.group(1)),
                             "content": base64.encodebytes(text.encode()).decode()})
            return
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/commits/([0-9a-f]+)/pulls", path):
            if st.pulls_lag > 0:
                st.pulls_lag -= 1
                self._send(200, [])
                return
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
                                 "labels": body.get("labels", []), "state": "open",
                                 "user": dict(self.author)}
            self._send(201, st.issues[number])
            return
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)", path):
            issue = st.issues[int(m.group(1))]
            issue.update({k: v for k, v in body.items() if k in ("body", "state", "title")})
            self._send(200, issue)
            return
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/pulls/(\d+)", path):
            pull = st.pulls.get(int(m.group(1)))
            self._send(200 if pull else 404, pull or {"message": "Not Found"})
            return
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/actions/runs/(\d+)", path):
            run = st.runs.get(m.group(1))
            self._send(200 if run else 404, run or {"message": "Not Found"})
            return
        self._send(404, {"message": f"fake has no route for {method} {path}"})


def add_comment(state: GitHubState, issue: int, body: str,
                author: dict[str, Any] | None = None) -> int:
    """A comment written directly into the fake, as `author` (the bot by default)."""
    cid = state.new_id()
    state.comments[cid] = {"id": cid, "issue": issue, "body": body, "user": author or BOT,
                           "html_url": f"https://github.test/c/{cid}"}
    return cid


def add_issue(state: GitHubState, title: str, body: str, labels: list[str],
              author: dict[str, Any] | None = None) -> int:
    number = state.new_id()
    state.labels.update(labels)
    state.issues[number] = {"number": number, "title": title, "body": body, "labels": labels,
                            "state": "open", "user": author or BOT}
    return number


# -- event payloads (the JSON at GITHUB_EVENT_PATH) -------------------------------------
REPO = "acme/models"


def repository(default_branch: str = "main") -> dict[str, Any]:
    return {"full_name": REPO, "default_branch": default_branch}


def pull_request_event(number: int = 12, fork: bool = False, action: str = "synchronize",
                       labels: tuple[str, ...] = (), sha: str = "abc123def456") -> dict[str, Any]:
    head = {"full_name": "mallory/models", "fork": True} if fork else \
        {"full_name": REPO, "fork": False}
    return {"action": action, "number": number, "repository": repository(),
            "pull_request": {"number": number,
                             "head": {"ref": "feature", "sha": sha, "repo": head},
                             "base": {"ref": "main", "repo": repository()},
                             "state": "closed" if action == "closed" else "open",
                             "labels": [{"name": name} for name in labels]}}


def merge_group_event() -> dict[str, Any]:
    return {"action": "checks_requested", "repository": repository(),
            "merge_group": {"head_sha": "abc123def456", "base_ref": "refs/heads/main",
                            "head_ref": "refs/heads/gh-readonly-queue/main/pr-12-abc123"}}


def push_event() -> dict[str, Any]:
    return {"ref": "refs/heads/main", "repository": repository()}


def merged_pull(number: int = 12, sha: str = "abc123def456") -> dict[str, Any]:
    return {"number": number, "merged_at": "2026-11-27T10:00:00Z", "merge_commit_sha": sha,
            "base": {"ref": "main"}}


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
    thread = threading.Thread(target=server.serve_forever, args=(0.005,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
