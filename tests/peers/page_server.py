"""A loopback HTTP server that answers every GET with the body a test sets: a changes
feed page exactly as a misbehaving server would send it (bytes, not a Python object).

`paths` answers some paths with their own body instead: the incident event log
(`/v1/incident-events`) and the post-mortems (`/v1/postmortems`), which the rr_api client
reads after the feed, are empty unless a test sets them, so a feed page is never read as
one of those. `puts` answers PUTs to a path with a status and a body (404 otherwise)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

INCIDENT_EVENTS = "/v1/incident-events"
EMPTY_INCIDENT_LOG = b'{"events": [], "next": 0, "has_more": false}'
POSTMORTEMS = "/v1/postmortems"
NO_POSTMORTEMS = b'{"postmortems": [], "next": 0, "has_more": false}'


class PageServer:
    """Serves `body` (bytes) as application/json on 127.0.0.1, or `paths[path]` for
    those paths; `stop()` when done."""

    def __init__(self) -> None:
        self.body = b"{}"
        self.paths: dict[str, bytes] = {INCIDENT_EVENTS: EMPTY_INCIDENT_LOG,
                                        POSTMORTEMS: NO_POSTMORTEMS}
        self.puts: dict[str, tuple[int, bytes]] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                body = outer.paths.get(urlsplit(self.path).path, outer.body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_PUT(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                status, body = outer.puts.get(urlsplit(self.path).path, (404, b"{}"))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
