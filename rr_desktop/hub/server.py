"""The hub's HTTP side: Starlette on uvicorn (docs/hub.md, "Serving").

Routes (rr_desktop/hub/openapi.yaml is the contract, a test checks the two agree):
`GET /healthz` (no token: is the database reachable) and `GET /v1/changes?after=&limit=`
(the changes feed, bearer token). A missing, malformed, wrong or revoked token gets 401
with one fixed body, whatever the reason: nothing tells a caller which it was.

Endpoints are plain functions: Starlette runs them in its thread pool, which suits the
synchronous SQLAlchemy engine and the scrypt check.
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import sys
import threading
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import feed, tokens
from .store import HubStore
from .waker import lifespan, wait_route

UNAUTHORIZED = {"error": "unauthorized", "message": "a valid hub token is required"}
VERIFIED_FOR_S = 60.0
SHUTDOWN_GRACE_S = 3  # then requests still open (long polls) are cut


class TokenGate:
    """Checks bearer tokens against the store. A token verified by scrypt in the last
    minute is matched by its SHA-256 instead (scrypt costs ~50 ms); revocation is read
    from the store on every request all the same."""

    def __init__(self, store: HubStore) -> None:
        self.store = store
        self._verified: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.Lock()

    def identify(self, request: Request) -> tokens.Identity | None:
        header = request.headers.get("authorization", "")
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not presented:
            return None
        parts = tokens.parse(presented)
        if parts is None:
            return None
        token_id, secret = parts
        with self.store.read() as conn:
            row = tokens.active_token(conn, token_id)
        if row is None:
            return None
        salt, stored, who, role = row
        quick = hashlib.sha256(presented.encode()).digest()
        with self._lock:
            known = self._verified.get(token_id)
        if known is not None and known[1] > time.monotonic() \
                and hmac.compare_digest(known[0], quick):
            return tokens.Identity(who, role, token_id)
        if not hmac.compare_digest(tokens.digest(secret, salt), stored):
            return None
        with self._lock:
            self._verified[token_id] = (quick, time.monotonic() + VERIFIED_FOR_S)
        return tokens.Identity(who, role, token_id)


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse({"error": "bad_request", "message": message}, status_code=400)


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int | str:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        return f"{name} must be a whole number from {low} to {high}"
    return int(raw)


def create_app(store: HubStore) -> Starlette:
    gate = TokenGate(store)

    def healthz(request: Request) -> Response:
        try:
            with store.read() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    def changes(request: Request) -> Response:
        if gate.identify(request) is None:
            return JSONResponse(UNAUTHORIZED, status_code=401,
                                headers={"WWW-Authenticate": 'Bearer realm="rr-hub"'})
        after = _int_param(request, "after", 0, 0, 2**62)
        limit = _int_param(request, "limit", 200, 1, feed.MAX_PAGE)
        if isinstance(after, str):
            return _bad_request(after)
        if isinstance(limit, str):
            return _bad_request(limit)
        with store.read() as conn:
            page = feed.read_changes(conn, after, limit + 1)
        body: dict[str, Any] = {
            "changes": [c.as_json() for c in page[:limit]],
            "next": page[:limit][-1].seq if page else after,
            "has_more": len(page) > limit,
        }
        return JSONResponse(body)

    return Starlette(routes=[
        Route("/healthz", healthz, methods=["GET"]),
        Route("/v1/changes", changes, methods=["GET"]),
        wait_route(store, gate),
    ], lifespan=lifespan)


def serve(url: str, host: str, port: int) -> int:
    """Open the store (migrating it), listen, print where, serve until SIGINT/SIGTERM."""
    import uvicorn

    from .cli import shown_url

    store = HubStore.open(url)
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # proto IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets
        # that say TCP, and with Nagle on, a kept-alive connection waits ~40 ms for the
        # client's delayed ACK between an answer's headers and its body.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)  # connections queue from now on, while uvicorn starts
        bound = sock.getsockname()[1]
        shown_host = f"[{host}]" if family == socket.AF_INET6 else host
        print(f"rr-desktop hub: listening on http://{shown_host}:{bound} "
              f"(database {shown_url(url)})", flush=True)
        # lifespan: the app closes the feed listener at shutdown (waker.py); desktops'
        # long polls are cut after a few seconds instead of holding the shutdown.
        config = uvicorn.Config(create_app(store), log_level="warning", access_log=False,
                                lifespan="on", timeout_graceful_shutdown=SHUTDOWN_GRACE_S)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        store.close()
    print("rr-desktop hub: stopped", file=sys.stderr)
    return 0
