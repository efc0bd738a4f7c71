"""Push to desktops: `GET /v1/changes/wait?after=<seq>&timeout=<s>` answers `{"head": N}`
as soon as the feed's newest committed seq N is past `after` (docs/hub.md, "Push to
desktops").

A desktop holds this request open for up to 30 s, so it must not hold a thread: the
endpoint is async and waits on an asyncio event; only its token check and its one head
read run in the thread pool the plain endpoints share. What moves the head it waits on:

- on PostgreSQL, one listener thread per hub process, its own connection doing
  `LISTEN rr_hub_feed`; every feed append sends `NOTIFY` in its transaction (feed.py),
  which PostgreSQL delivers only at commit: a waiter never wakes before the change is
  visible, never for a rolled-back one. When that connection drops the listener
  reconnects (1 s, doubling to 30 s) and the head is polled meanwhile;
- on SQLite (no notifications between processes), one poller reads the head every
  POLL_S while anyone waits, and stops when nobody does;
- this process's own feed appends wake the waiters when their connection goes back to
  the pool, right after the commit.

Every wake-up is checked against the head (read from the database, or the NOTIFY's seq:
seqs become visible in order), so a spurious one costs a comparison, never an answer.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import feed
from .store import HubStore

if TYPE_CHECKING:
    from .server import TokenGate

log = logging.getLogger("rr_desktop.hub")

WAIT_PATH = "/v1/changes/wait"
MAX_WAIT_S = 30.0
DEFAULT_WAIT_S = 25.0
POLL_S = 0.15  # SQLite, or PostgreSQL while the listener is down
LISTEN_TICK_S = 0.5  # how often the listener thread looks at its stop flag
RECONNECT_FIRST_S, RECONNECT_MAX_S = 1.0, 30.0
LISTENER_NAME = "rr-hub-feed-listener"  # application_name, seen in pg_stat_activity


class FeedWaker:
    """The feed's head as this process last knew it, and the async waits on it. One per
    app; the listener thread (PostgreSQL) starts with the first wait, `close()` ends it."""

    def __init__(self, store: HubStore) -> None:
        self.store = store
        self.head = 0
        self.waiting = 0  # requests waiting now
        self.listening = False  # PostgreSQL: the listener's LISTEN is in place
        self._loop: asyncio.AbstractEventLoop | None = None
        self._moved = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None
        self._refreshing = False
        self._again = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None
        self._closed = False
        self._released = False
        event.listen(store.engine, "checkin", self._checked_in)

    # -- waiting (on the event loop) ----------------------------------------------------

    async def wait(self, after: int | None, timeout_s: float) -> int:
        """The newest committed seq, once it is past `after` or after `timeout_s`.
        Raises SQLAlchemyError when the database cannot be read."""
        loop = self._attach()
        self._advance(await run_in_threadpool(self._read_head))
        if after is None or self.head > after or timeout_s <= 0 or self._released:
            return self.head
        deadline = loop.time() + timeout_s
        self.waiting += 1
        self._ensure_poller()
        try:
            while self.head <= after and not self._released:
                left = deadline - loop.time()
                if left <= 0:
                    break
                try:
                    await asyncio.wait_for(self._moved.wait(), left)
                except TimeoutError:
                    break
        finally:
            self.waiting -= 1
        return self.head

    def _attach(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # the first wait (or a new loop: a test's client)
            self._loop = loop
            self._moved = asyncio.Event()
            self._poller = None
            self._tasks.clear()
            self._start_listener()
        return loop

    def _advance(self, head: int) -> None:
        if head > self.head:
            self.head = head
            moved, self._moved = self._moved, asyncio.Event()
            moved.set()

    def _read_head(self) -> int:
        with self.store.read() as conn:
            return feed.head(conn)

    async def _refresh(self) -> None:
        """Read the head once for everyone (a read asked for while one runs follows it)."""
        if self._refreshing:
            self._again = True
            return
        self._refreshing = True
        try:
            while True:
                self._again = False
                try:
                    self._advance(await run_in_threadpool(self._read_head))
                except SQLAlchemyError as exc:
                    log.info("hub: cannot read the feed's head: %s", str(exc).splitlines()[0])
                if not self._again:
                    return
        finally:
            self._refreshing = False

    def _spawn_refresh(self) -> None:
        task = asyncio.ensure_future(self._refresh())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _ensure_poller(self) -> None:
        if self._poller is None and self.waiting and not self.listening and not self._closed:
            self._poller = asyncio.ensure_future(self._poll())

    async def _poll(self) -> None:
        try:
            while self.waiting and not self.listening and not self._closed:
                await asyncio.sleep(POLL_S)
                await self._refresh()
        finally:
            self._poller = None

    # -- wake-ups from other threads ----------------------------------------------------

    def _post(self, callback: Callable[[], None]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(callback)
        except RuntimeError:  # the loop closed meanwhile
            pass

    def _checked_in(self, _dbapi_conn: Any, record: Any) -> None:
        """A connection came back to the pool: if its transaction appended to the feed,
        it has committed (or rolled back: then the head read finds nothing new)."""
        if record.info.pop(feed.APPENDED, False) and self.waiting:
            self._post(self._spawn_refresh)

    def _notified(self, payload: str) -> None:
        if payload.isdigit():  # the committed seq itself: no read needed
            seq = int(payload)
            self._post(lambda: self._advance(seq))
        else:
            self._post(self._spawn_refresh)

    def _listener_state(self, up: bool) -> None:
        def apply() -> None:
            self.listening = up
            if up:
                self._spawn_refresh()  # a commit in the gap before LISTEN
            else:
                self._ensure_poller()
        self._post(apply)

    # -- the PostgreSQL listener ---------------------------------------------------------

    def _start_listener(self) -> None:
        if self.store.dialect != "postgresql" or self._listener is not None or self._closed:
            return
        _args, kwargs = self.store.engine.dialect.create_connect_args(self.store.engine.url)
        kwargs.pop("context", None)
        self._listener = threading.Thread(target=self._listen, args=(kwargs,), daemon=True,
                                          name=LISTENER_NAME)
        self._listener.start()

    def _listen(self, connect_kwargs: dict[str, Any]) -> None:
        import psycopg

        delay = RECONNECT_FIRST_S
        while not self._stop.is_set():
            try:
                with psycopg.connect(autocommit=True, application_name=LISTENER_NAME,
                                     connect_timeout=10, keepalives=1, keepalives_idle=30,
                                     keepalives_interval=10, keepalives_count=3,
                                     **connect_kwargs) as conn:
                    conn.execute(f"LISTEN {feed.NOTIFY_CHANNEL}")
                    self._listener_state(True)
                    delay = RECONNECT_FIRST_S
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=LISTEN_TICK_S):
                            self._notified(note.payload)
            except psycopg.Error as exc:
                if not self._stop.is_set():
                    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else \
                        type(exc).__name__
                    log.warning("hub: the feed listener lost its database connection (%s); "
                                "polling, reconnecting in %.0f s", reason, delay)
            self._listener_state(False)
            if self._stop.wait(delay):
                break
            delay = min(delay * 2, RECONNECT_MAX_S)

    def release(self) -> None:
        """The hub is stopping: answer every wait now, and every later one at once (from
        any thread; a long poll must not hold a graceful shutdown)."""
        self._released = True

        def wake() -> None:
            moved, self._moved = self._moved, asyncio.Event()
            moved.set()

        self._post(wake)

    def close(self) -> None:
        """Stop the listener and the poller (the app is shutting down)."""
        self._closed = True
        self._stop.set()
        if event.contains(self.store.engine, "checkin", self._checked_in):
            event.remove(self.store.engine, "checkin", self._checked_in)
        if self._listener is not None:
            self._listener.join(LISTEN_TICK_S * 4)


class WaitRoute(Route):
    """The wait route; holds its waker for the app's lifespan to close."""

    def __init__(self, waker: FeedWaker, gate: TokenGate) -> None:
        self.waker = waker
        self.gate = gate
        super().__init__(WAIT_PATH, self.wait, methods=["GET"])

    async def wait(self, request: Request) -> Response:
        from .server import _bad_request, _unauthorized

        if await run_in_threadpool(self.gate.identify, request) is None:
            return _unauthorized()
        raw_after = request.query_params.get("after")
        after: int | None = None
        if raw_after is not None:
            if not raw_after.isdigit() or int(raw_after) > 2**62:
                return _bad_request(f"after must be a whole number from 0 to {2**62}")
            after = int(raw_after)
        timeout = _seconds(request.query_params.get("timeout"))
        if timeout is None:
            return _bad_request(f"timeout must be a number of seconds from 0 to "
                                f"{MAX_WAIT_S:.0f}")
        try:
            head = await self.waker.wait(after, timeout)
        except SQLAlchemyError:
            return JSONResponse({"error": "unavailable",
                                 "message": "the hub cannot reach its database"},
                                status_code=503)
        return JSONResponse({"head": head}, headers={"Cache-Control": "no-store"})


def _seconds(raw: str | None) -> float | None:
    if raw is None:
        return DEFAULT_WAIT_S
    head, dot, tail = raw.partition(".")
    if not head.isdigit() or (dot and not tail.isdigit()) or len(raw) > 12:
        return None
    value = float(raw)
    return value if value <= MAX_WAIT_S else None


def wait_route(store: HubStore, gate: TokenGate) -> WaitRoute:
    """`GET /v1/changes/wait` for `create_app`'s route list."""
    return WaitRoute(FeedWaker(store), gate)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """The app's lifespan: at shutdown, close every wait route's waker."""
    yield
    for route in app.routes:
        if isinstance(route, WaitRoute):
            await run_in_threadpool(route.waker.close)
