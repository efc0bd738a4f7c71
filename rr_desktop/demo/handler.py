"""HTTP/1.1 plumbing for the demo escalation service (stdlib ``http.server``).

Keep-alive with ``Content-Length`` on every answer, bodies capped at 1 MB, faults applied
around the API call (see faults.py and hostile.py), nothing logged per request, and open
connections closed on stop. ``GET /_demo/stats`` (no token) counts the requests the
server received, by route ("PATCH /v1/escalations/ESC-000001") and by Host header, the
answers it sent by route and status ("... 412"), and the faults it injected.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .api import MAX_BODY, EscalationApi
from .faults import CURSOR_KINDS, Fault
from .hostile import bend_cursor, first_page
from .postmortem_api import body_limit
from .response import JSON, Response, error
from .wire import encode

STATS_PATH = "/_demo/stats"
_MAX_KEYS = 10_000  # distinct routes / hosts counted
_MB = 1024 * 1024


class RequestStats:
    """What the server received (for tests and for watching a client by hand)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.routes: Counter[str] = Counter()
        self.hosts: Counter[str] = Counter()
        self.answers: Counter[str] = Counter()

    def count(self, method: str, path: str, host: str) -> None:
        with self._lock:
            self.requests += 1
            for counter, key in ((self.routes, f"{method} {path[:300]}"),
                                 (self.hosts, host[:300])):
                if key in counter or len(counter) < _MAX_KEYS:
                    counter[key] += 1

    def answered(self, method: str, path: str, status: int) -> None:
        with self._lock:
            key = f"{method} {path[:300]} {status}"
            if key in self.answers or len(self.answers) < _MAX_KEYS:
                self.answers[key] += 1

    def snapshot(self, injected: Iterable[str]) -> dict[str, Any]:
        with self._lock:
            return {"requests": self.requests, "routes": dict(self.routes),
                    "answers": dict(self.answers), "hosts": dict(self.hosts),
                    "injected": dict(Counter(injected))}


@lru_cache(maxsize=2)
def gzip_bomb(size_mb: int) -> bytes:
    """A gzip stream of ``size_mb`` MB of spaces (about 1 KB per MB)."""
    out = gzip.compress(b" " * _MB, compresslevel=9, mtime=0)
    if size_mb == 1:
        return out
    # gzip members may be concatenated (RFC 1952 2.2): one per MB, compressed once.
    return out * size_mb


class DemoHttpServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its API and can close its open connections."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: EscalationApi,
                 hostile: frozenset[str] = frozenset()) -> None:
        self.api = api
        self.hostile = hostile
        self.stats = RequestStats()
        self.errors = 0
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, EscalationRequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients going away mid-request are routine here; never print tracebacks.
        self.errors += 1

    def close_connections(self) -> None:
        """Shut down every open (keep-alive) connection so that their threads end."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class EscalationRequestHandler(BaseHTTPRequestHandler):
    """Reads one request, applies faults, asks the API, writes the answer."""

    protocol_version = "HTTP/1.1"
    server_version = "RRDemoEscalations/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 60  # idle keep-alive connections are closed after this many seconds
    server: DemoHttpServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def version_string(self) -> str:
        return self.server_version

    def send_response(self, code: int, message: str | None = None) -> None:
        self.server.stats.answered(self.command, urlsplit(self.path).path, code)
        super().send_response(code, message)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests treat stderr noise as failure."""

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        target = urlsplit(self.path)
        server = self.server
        api = server.api
        server.stats.count(self.command, target.path, self.headers.get("Host") or "")
        if target.path == STATS_PATH:
            injected = [f.kind for f in api.faults.injected]
            self._send(Response(200, encode(server.stats.snapshot(injected))))
            return
        fault = api.faults.take(self.command, target.path)
        if fault is not None and self._answer_instead(fault):
            return
        try:
            response = api.handle(self.command, target.path, target.query, self.headers, body)
        except Exception as exc:  # any bug becomes a 500, never a dead server thread
            response = error(500, "internal", f"{type(exc).__name__}: {exc}")
        kind = fault.kind if fault is not None else None
        if kind == "drop":
            self.close_connection = True  # the change is applied; the answer is lost
            return
        if target.path.rstrip("/") == "/v1/escalations" and self.command == "GET":
            if kind in CURSOR_KINDS:
                response = bend_cursor(response, target.query, kind or "", api.state)
            response = first_page(response, target.query, server.hostile, api.state)
        if kind == "truncate":
            self._send_truncated(response)
        elif kind == "drip" and fault is not None:
            self._drip(self._raw(response), fault.bytes_per_s)
        else:
            self._send(response)

    def _answer_instead(self, fault: Fault) -> bool:
        """Faults that answer before (or instead of) the API; True when answered."""
        if fault.kind == "latency":
            time.sleep(fault.seconds)
            return False
        if fault.kind == "429":
            self._send(error(429, "rate_limited", "too many requests",
                             retry_after=fault.retry_after),
                       {"Retry-After": str(fault.retry_after)})
        elif fault.kind == "5xx":
            self._send(error(fault.status, "unavailable", "injected server error"))
        elif fault.kind == "gone":
            self._send(error(410, "cursor_expired", "injected: the cursor expired; restart "
                             "from the beginning"))
        elif fault.kind == "drop_before":
            self.close_connection = True
        elif fault.kind == "redirect":
            port = self.server.server_address[1]
            location = f"http://{fault.host}:{port}{self.path}"
            self._send(error(307, "moved", f"moved to {location}"), {"Location": location})
        elif fault.kind == "gzip_bomb":
            payload = gzip_bomb(fault.size_mb)
            self._send(Response(200, payload, {"Content-Encoding": "gzip"}, JSON))
        else:
            return False
        return True

    def _raw(self, response: Response) -> bytes:
        """The whole answer as bytes on the wire (for dripping it)."""
        lines = [f"HTTP/1.1 {response.status} {self.responses.get(response.status, ('',))[0]}",
                 f"Server: {self.version_string()}", f"Date: {self.date_time_string()}",
                 f"Content-Type: {response.content_type}",
                 f"Content-Length: {len(response.body)}",
                 *(f"{k}: {v}" for k, v in response.headers.items()), "Connection: close"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + response.body

    def _drip(self, data: bytes, bytes_per_s: float) -> None:
        """Send `data` at `bytes_per_s` (in steps of at least one byte), then close."""
        self.close_connection = True
        status = data[9:12]
        if status.isdigit():
            self.server.stats.answered(self.command, urlsplit(self.path).path, int(status))
        step = max(1, int(bytes_per_s / 10))
        interval = step / bytes_per_s
        try:
            for i in range(0, len(data), step):
                self.wfile.write(data[i:i + step])
                self.wfile.flush()
                time.sleep(interval)
        except OSError:  # the client gave up: that is the point
            pass

    def _send_truncated(self, response: Response) -> None:
        """Headers announcing the whole body, then about half of it, then close."""
        keep = len(response.body) // 2
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body[:keep])
        self.wfile.flush()
        self.close_connection = True

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding"):
            self._send(error(411, "length_required", "send Content-Length, not chunked"),
                       close=True)
            return None
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        if not raw.strip().isdigit():
            self._send(error(400, "bad_request", "bad Content-Length"), close=True)
            return None
        length = int(raw)
        limit = body_limit(self.command, urlsplit(self.path).path) or MAX_BODY
        if length > limit:
            self._send(error(413, "too_large", f"bodies are limited to {limit} bytes"),
                       close=True)
            return None
        body = self.rfile.read(length) if length else b""
        if len(body) != length:
            self.close_connection = True
            return None
        return body

    def _send(self, response: Response, headers: dict[str, str] | None = None,
              close: bool = False) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in {**response.headers, **(headers or {})}.items():
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(response.body)
