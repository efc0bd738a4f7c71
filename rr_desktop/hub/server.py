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
import logging
import os
import signal
import socket
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import uvicorn
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import caller, feed, logs, tokens
from .api import HubRoutes, answer, body_cap
from .playbook_routes import playbook_routes
from .store import HubStore
from .waker import WaitRoute, lifespan, wait_route

if TYPE_CHECKING:
    from .intake import Intake

UNAUTHORIZED = {"error": "unauthorized", "message": "a valid hub token is required"}
VERIFIED_FOR_S = 60.0


class TokenGate:
    """Checks bearer tokens against the store. A token verified by scrypt in the last
    minute is matched by its SHA-256 instead (scrypt costs ~50 ms); revocation is read
    from the store on every request all the same."""

    def __init__(self, store: HubStore) -> None:
        self.store = store
        self._verified: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.Lock()

    def identify_caller(self, request: Request) -> caller.Caller | None:
        """The request's analyst and desktop (`X-RR-Desktop`), or None without a valid
        token."""
        identity = self.identify(request)
        if identity is None:
            return None
        return caller.Caller(identity.analyst, identity.role,
                             caller.desktop_id(request.headers.get(caller.DESKTOP_HEADER)))

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


def _too_large(cap: int) -> JSONResponse:
    return JSONResponse({"error": "too_large", "message": f"the body is over {cap} bytes"},
                        status_code=413)


def _unauthorized() -> JSONResponse:
    return JSONResponse(UNAUTHORIZED, status_code=401,
                        headers={"WWW-Authenticate": 'Bearer realm="rr-hub"'})


def create_app(store: HubStore, routes: HubRoutes | None = None) -> Starlette:
    gate = TokenGate(store)
    api = routes if routes is not None else HubRoutes(store)

    async def rr_api(request: Request) -> Response:
        """Every rr_api route (hub/api.py): token, body within its cap, then the route in
        a worker thread as the caller."""
        method, path = request.method, request.url.path
        if path != "/v1/openapi.yaml":
            found = await run_in_threadpool(gate.identify_caller, request)
            if found is None:
                return _unauthorized()
            who = found
        else:
            who = caller.HUB_SELF
        cap = body_cap(method, path)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            return _too_large(cap)
        body = bytearray()
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > cap:  # a chunked body that says no length
                    return _too_large(cap)
        except ClientDisconnect:
            return Response(status_code=400)
        result = await run_in_threadpool(answer, api, who, method, path,
                                         request.url.query, request.headers, bytes(body))
        return Response(result.body, status_code=result.status, headers=result.headers,
                        media_type=result.content_type)

    def healthz(request: Request) -> Response:
        try:
            with store.read() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    def changes(request: Request) -> Response:
        if gate.identify(request) is None:
            return _unauthorized()
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
        wait_route(store, gate),  # before the rr_api routes' catch-all
        *playbook_routes(store, gate, _unauthorized),  # so are the team playbooks
        Route("/v1/{rest:path}", rr_api,
              methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]),
    ], lifespan=lifespan)


class _LoggedServer(uvicorn.Server):
    """uvicorn's server, logging the signal that stops it and what is still in flight;
    desktops' long polls are answered at once then (they hold no transaction), so the
    grace period is for writes."""

    def __init__(self, config: uvicorn.Config, app: Starlette) -> None:
        super().__init__(config)
        self.app = app

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if not self.should_exit:
            logs.event(logging.INFO, "stopping", signal=signal.Signals(sig).name,
                       in_flight=len(self.server_state.tasks))
            for route in self.app.routes:
                if isinstance(route, WaitRoute):
                    route.waker.release()
        super().handle_exit(sig, frame)


def serve(url: str, host: str, port: int, *, log_level: str = "info",
          slow_ms: float = 1000.0, shutdown_timeout: int = 35,
          intake: tuple[Path, float] | None = None) -> int:
    """Open the store (migrating it), listen, print where, serve until SIGINT/SIGTERM.
    `intake`: (data dir, interval) of the channels the hub syncs (hub/intake.py).

    On a signal uvicorn stops accepting, lets requests in flight answer for up to
    `shutdown_timeout` seconds (a transaction still running then is never cut: its
    worker thread commits or rolls back before the process ends, only its answer is
    lost), and then the store is closed. A hub on an SQLite file holds that file's
    serving lock (backup.py) while it runs, so a second hub or a restore is refused.
    """
    from .backup import serving_lock, sqlite_path
    from .cli import shown_url

    logs.configure(log_level)
    shown_db = shown_url(url)
    db_file = sqlite_path(url)
    with ExitStack() as stack:
        if db_file is not None:
            stack.enter_context(serving_lock(db_file, "stop it first (one hub per file)."))
        started = time.monotonic()
        logs.event(logging.INFO, "start", pid=os.getpid(), database=shown_db,
                   host=host, port=port)
        store = HubStore.open(url)
        stack.callback(store.close)
        routes = None
        if intake is not None:  # stopped before the store is closed (LIFO)
            syncing, routes = _start_intake(store, *intake)
            stack.callback(syncing.stop)
        starlette_app = create_app(store, routes)
        app = logs.RequestLog(starlette_app, slow_ms)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # proto IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets
        # that say TCP, and with Nagle on, a kept-alive connection waits ~40 ms for the
        # client's delayed ACK between an answer's headers and its body.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        stack.callback(sock.close)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)  # connections queue from now on, while uvicorn starts
        bound = sock.getsockname()[1]
        shown_host = f"[{host}]" if family == socket.AF_INET6 else host
        listening = f"http://{shown_host}:{bound}"
        print(f"rr-desktop hub: listening on {listening} (database {shown_db})", flush=True)
        logs.event(logging.INFO, "listening", url=listening, database=shown_db,
                   ready_ms=round((time.monotonic() - started) * 1000, 1))
        # lifespan: the app closes the feed listener at shutdown (waker.py).
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on",
                                timeout_graceful_shutdown=shutdown_timeout)
        # uvicorn stops gracefully on SIGTERM/SIGINT, then raises the signal again for
        # the handler it found: make that one a no-op, so the store is still closed, the
        # stop logged and the exit code 0 (the default SIGTERM would end the process
        # there, SIGINT raise KeyboardInterrupt).
        for sig in (signal.SIGTERM, signal.SIGINT):
            stack.callback(signal.signal, sig, signal.signal(sig, lambda _s, _f: None))
        _LoggedServer(config, starlette_app).run(sockets=[sock])
    logs.event(logging.INFO, "stop", pid=os.getpid(),
               uptime_s=round(time.monotonic() - started, 1))
    return 0


def _start_intake(store: HubStore, directory: Path, interval: float
                  ) -> tuple[Intake, HubRoutes]:
    """Open the intake's cache and start syncing it (docs/hub.md, "Channel sync on the
    hub"); a channel that cannot sync is logged with why, the others go on."""
    from .intake import Intake, IntakeError
    from .intake_routes import ForwardingRoutes
    from .store import HubStoreError

    syncing = Intake(store, directory, interval)
    try:
        problems = syncing.open()
    except IntakeError as exc:
        raise HubStoreError(str(exc)) from None
    for problem in problems:
        logs.event(logging.WARNING, "intake_channel_not_synced", problem=problem)
    logs.event(logging.INFO, "intake", directory=str(directory),
               channels=syncing.channel_names, interval_s=interval)
    syncing.start()
    return syncing, ForwardingRoutes(store, syncing)
