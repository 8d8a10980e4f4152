"""The simulator's HTTP front: a real server speaking RunPod's REST v2 on loopback.

Also serves each pod's HTTP ports behind /proxy/{pod_id}/{port}/... for health
checks (RUNPOD_PROXY_URL), and SSE logs at /v2/pods/{id}/logs.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gitops_runner.runpod.simulator import network_volumes, serverless_routes
from gitops_runner.runpod.simulator.catalog import DATA_CENTERS
from gitops_runner.runpod.simulator.model import LIST_OMITS, MISREPORTS, REWRITES
from gitops_runner.runpod.simulator.store import FileStore
from gitops_runner.runpod.simulator.view import misreport_mounts, omit_first_listed
from gitops_runner.runpod.simulator.world import CAPACITY_DETAIL, World, iso, problem

__all__ = ["Exchange", "FileStore", "Simulator"]  # FileStore: the sandbox wiring imports it here


class _Handler(BaseHTTPRequestHandler):
    server: SimulatorServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle on, a keep-alive client's
    # delayed ACK holds every answer ~40 ms. RunPod's latency is modelled explicitly.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        ctype = "application/problem+json" if status >= 400 else "application/json"
        if raw:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(raw)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if raw:
            self.wfile.write(raw)

    def _body(self) -> tuple[bool, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return True, {}
        try:
            return True, json.loads(raw)
        except ValueError:
            return False, None

    def _dispatch(self, method: str) -> None:
        sim = self.server.sim
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if path.startswith("/proxy/"):
            self._proxy(path)
            return
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            self._send(*problem(401, "missing bearer token"))
            return
        key = auth[7:].strip()
        if sim.world.settings.api_key is not None and key != sim.world.settings.api_key:
            self._send(*problem(401, "invalid api key"))
            return
        ok, body = self._body()
        with sim.transaction():
            world = sim.world
            world.requests.append((method, path))
            verdict = world.rate_check(key)
            headers = dict(verdict.headers)
            read_only = method != "GET" and key in world.settings.read_only_keys
            fault = world.take_fault(method, path) if verdict.allowed and not read_only else None
        if not verdict.allowed:
            headers["Retry-After"] = str(max(1, int(verdict.retry_after + 0.999)))
            self._send(*problem(429, f"rate limit exceeded for the {verdict.window} window"),
                       headers)
            return
        if read_only:
            self._send(*problem(403, "api key is read-only"), headers)
            return
        # Latency is served outside the world's lock so parallel clients overlap, as on RunPod.
        if sim.world.settings.latency_seconds:
            time.sleep(sim.world.settings.latency_seconds)
        if fault is not None and fault.kind not in REWRITES:
            self._fault(fault, headers)
            return
        if not ok:
            self._send(*problem(400, "request body is not valid JSON"), headers)
            return
        if path.endswith("/logs") and method == "GET":
            with sim.transaction():
                lines = sim.world.log_lines(path.split("/")[3])
            self._logs(path.split("/")[3], lines, query, headers)
            return
        with sim.transaction():
            status, payload = self._route(sim.world, method, path, query, body)
        if fault is not None and status == 201 and fault.kind == "create_then_500":
            status, payload = problem(500, "internal error")
        if fault is not None and fault.kind in MISREPORTS and status == 200:
            payload = misreport_mounts(payload, fault.kind)
        if fault is not None and fault.kind == LIST_OMITS and status == 200:
            payload = omit_first_listed(payload)
        if sim.exchanges is not None:
            sim.exchanges.append(Exchange(method, path, body, status, payload))
        self._send(status, payload, headers)

    def _fault(self, fault: Any, headers: dict[str, str]) -> None:
        if fault.kind == "latency":
            time.sleep(fault.seconds)
            self._send(*problem(504, "gateway timeout"), headers)
        elif fault.kind == "429":
            headers["Retry-After"] = str(max(0, int(fault.seconds)))
            self._send(*problem(429, f"rate limit exceeded for the {fault.window} window"),
                       headers)
        elif fault.kind == "capacity":
            self._send(*problem(400, CAPACITY_DETAIL), headers)
        elif fault.kind == "402":
            self._send(*problem(402, "insufficient balance"), headers)
        else:
            self._send(*problem(fault.status, "internal error"), headers)

    @staticmethod
    def _route(world: World, method: str, path: str, query: dict[str, str],
               body: Any) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if parts[:2] == ["v2", "pods"]:
            if len(parts) == 2:
                if method == "GET":
                    return world.list_pods()
                if method == "POST":
                    return world.create_pod(body)
            elif len(parts) == 3:
                handlers = {"GET": lambda: world.get_pod(parts[2]),
                            "PATCH": lambda: world.update_pod(parts[2], body),
                            "DELETE": lambda: world.delete_pod(parts[2])}
                if method in handlers:
                    return handlers[method]()
            elif len(parts) == 4 and parts[3] == "action" and method == "POST":
                return world.pod_action(parts[2], body)
        if parts == ["v2", "catalog", "gpus"] and method == "GET":
            return world.gpu_catalog(query)
        if parts[:2] == ["v2", "network-volumes"]:
            return _volume_route(world, method, parts, body)
        answer = serverless_routes.route(world, method, parts, body)  # endpoints (§14)
        if answer is not None:
            return answer
        return problem(404, f"no route for {method} {path}")

    def _logs(self, pod_id: str, lines: list[tuple[float, str]] | None,
              query: dict[str, str], headers: dict[str, str]) -> None:
        if lines is None:
            self._send(*problem(404, "pod not found"), headers)
            return
        try:
            tail = max(0, min(5000, int(query.get("tail", "100"))))
        except ValueError:
            tail = 100
        since = query.get("since")
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.send_header("X-Accel-Buffering", "no")
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.close_connection = True
        selected = [ln for ln in lines if not since or (iso(ln[0]) or "") >= since]
        sent = selected[-tail:] if tail else []
        last = sent[-1][0] if sent else 0.0
        deadline = time.monotonic() + self.server.sim.log_stream_seconds
        try:
            for ts, line in sent:
                self._event(ts, line)
            while time.monotonic() < deadline:
                time.sleep(0.2)
                with self.server.sim.transaction():
                    fresh = self.server.sim.world.log_lines(pod_id) or []
                for ts, line in fresh:
                    if ts > last:
                        self._event(ts, line)
                        last = ts
        except (BrokenPipeError, ConnectionResetError):
            return

    def _event(self, ts: float, line: str) -> None:
        stamp = iso(ts)
        data = json.dumps({"source": "container", "line": line, "ts": stamp})
        self.wfile.write(f"id: {stamp}\ndata: {data}\n\n".encode())
        self.wfile.flush()

    def _proxy(self, path: str) -> None:
        parts = path.split("/")
        if len(parts) < 4 or not parts[3].isdigit():
            self._send(404, {"detail": "bad proxy path"})
            return
        with self.server.sim.transaction():
            self.server.sim.world.requests.append(("PROXY", path))
            status, body = self.server.sim.world.proxy_answer(
                parts[2], int(parts[3]), "/" + "/".join(parts[4:]),
                self.headers.get("Authorization", ""))
        self._send(status, body)


def _volume_route(world: World, method: str, parts: list[str], body: Any) -> tuple[int, Any]:
    vols = world.network_volumes
    if len(parts) == 2 and method == "GET":
        return network_volumes.list_volumes(vols)
    if len(parts) == 2 and method == "POST":
        return network_volumes.create_volume(vols, body, [dc for dc, _ in DATA_CENTERS])
    if len(parts) == 3 and method == "GET":
        return network_volumes.get_volume(vols, parts[2])
    if len(parts) == 3 and method == "PATCH":
        return network_volumes.update_volume(vols, parts[2], body)
    if len(parts) == 3 and method == "DELETE":
        return network_volumes.delete_volume(vols, parts[2])
    return problem(404, f"no route for {method} /{'/'.join(parts)}")


@dataclass(frozen=True)
class Exchange:
    """One request/response pair, recorded for the spec-fidelity tests."""

    method: str
    path: str
    request: Any
    status: int
    response: Any


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sim: Simulator) -> None:
        super().__init__((sim.host, sim.port), _Handler)
        self.sim = sim


class Simulator:
    """Start with `with Simulator() as sim:`; `sim.url` is the RUNPOD_API_URL to use."""

    def __init__(self, world: World | None = None, store: FileStore | None = None,
                 host: str = "127.0.0.1", port: int = 0, log_stream_seconds: float = 600.0) -> None:
        self.world = world or World()
        self.store = store
        self.host = host
        self.port = port
        self.log_stream_seconds = log_stream_seconds
        self.exchanges: list[Exchange] | None = None  # set to [] to record
        self._server: SimulatorServer | None = None
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if self.store is None:
            with self.world.lock:
                yield
        else:
            with self.world.lock, self.store.session(self.world):
                yield

    @property
    def url(self) -> str:
        assert self._server is not None, "simulator not started"
        return f"http://{self.host}:{self._server.server_address[1]}"

    @property
    def proxy_url(self) -> str:
        return self.url + "/proxy/{pod_id}/{port}"

    def start(self) -> Simulator:
        self._server = SimulatorServer(self)
        # shutdown() waits for the loop's next poll: a short poll keeps stop() quick
        # (tests start and stop hundreds of simulators) at a negligible idle cost.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.005,),
                                        name="runpod-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
