"""HTTP/1.1 plumbing for the demo escalation service (stdlib ``http.server``).

Keep-alive with ``Content-Length`` on every answer, bodies capped at 1 MB, faults applied
around the API call, nothing logged per request, and open connections closed on stop.
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .api import MAX_BODY, EscalationApi, Response, error


class DemoHttpServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its API and can close its open connections."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: EscalationApi) -> None:
        self.api = api
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

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests treat stderr noise as failure."""

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        target = urlsplit(self.path)
        api = self.server.api
        fault = api.faults.take(self.command, target.path)
        if fault is not None:
            if fault.kind == "latency":
                time.sleep(fault.seconds)
            elif fault.kind == "429":
                self._send(error(429, "rate_limited", "too many requests",
                                 retry_after=fault.retry_after),
                           {"Retry-After": str(fault.retry_after)})
                return
            elif fault.kind == "5xx":
                self._send(error(fault.status, "unavailable", "injected server error"))
                return
            elif fault.kind == "drop_before":
                self.close_connection = True
                return
        try:
            response = api.handle(self.command, target.path, target.query, self.headers, body)
        except Exception as exc:  # any bug becomes a 500, never a dead server thread
            response = error(500, "internal", f"{type(exc).__name__}: {exc}")
        if fault is not None and fault.kind == "drop":
            self.close_connection = True  # the change is applied; the answer is lost
            return
        self._send(response)

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
        if length > MAX_BODY:
            self._send(error(413, "too_large", f"bodies are limited to {MAX_BODY} bytes"),
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
