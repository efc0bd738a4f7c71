"""Deadlines for whole HTTP exchanges, however slowly the other side sends.

A connect and a read timeout bound each socket operation, not an answer: a server that
sends one byte a second never trips a 30 s read timeout, in its headers or its body. Here
one watchdog thread holds the deadline of every exchange in flight; when one passes, it
shuts down that exchange's socket, so the blocked read returns at once and the caller
sees `Deadline.expired`.

The sync engine also sets a deadline for a whole run (`run_deadline.py`, a context
variable); an exchange then ends at the earlier of its own and the run's.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .run_deadline import run_deadline_at

_lock = threading.Lock()  # guards every Deadline and connection ownership
_local = threading.local()


class Deadline:
    """The deadline (time.monotonic) of one exchange and the connection it is using."""

    def __init__(self, at: float) -> None:
        self.at = at
        self.expired = False
        self.sending = False  # a request has started to go out (a write may have landed)
        self._finished = False
        self._conn: Any = None

    def attach(self, conn: Any) -> None:
        """The exchange is about to send on `conn` (a new one after a redirect or retry)."""
        with _lock:
            if self.expired:  # it passed while we were connecting: send nothing
                raise TimeoutError("the exchange's deadline passed")
            self._conn = conn
            self.sending = True
            conn._rr_deadline = self

    def fire(self) -> None:
        """Called by the watchdog: end the exchange if it is still going."""
        with _lock:
            if self._finished:
                return
            self.expired = True
            conn = self._conn
            # The connection may have gone back to its pool and on to another exchange.
            if conn is None or getattr(conn, "_rr_deadline", None) is not self:
                return
            # Not conn.sock: an answer that closes the connection takes the socket over.
            sock = getattr(conn, "_rr_sock", None)
        if sock is not None:
            try:  # the plain socket's shutdown: safe from another thread, TLS or not; a
                # closed socket object refuses it (EBADF) rather than touch a reused fd
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except (OSError, TypeError):  # TypeError: a proxy's TLS-in-TLS transport
                pass

    def finish(self) -> None:
        with _lock:
            self._finished = True
            conn, self._conn = self._conn, None
            if conn is not None and getattr(conn, "_rr_deadline", None) is self:
                conn._rr_deadline = None


class _Watchdog:
    """One daemon thread firing deadlines in time order."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Deadline]] = []
        self._seq = itertools.count()
        self._wake = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None

    def arm(self, deadline: Deadline) -> None:
        with self._wake:
            heapq.heappush(self._heap, (deadline.at, next(self._seq), deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="rr-http-deadline",
                                                daemon=True)
                self._thread.start()
            if self._heap[0][2] is deadline:  # earlier than what the thread waits for
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap:
                    self._wake.wait()
                at, _, deadline = self._heap[0]
                now = time.monotonic()
                if at > now:
                    self._wake.wait(at - now)
                    continue
                heapq.heappop(self._heap)
            deadline.fire()


_WATCHDOG = _Watchdog()


@contextmanager
def watched(seconds: float) -> Iterator[Deadline]:
    """Run one exchange (request, redirects, body) under a deadline of `seconds`, or the
    run's deadline if that comes first."""
    at = time.monotonic() + seconds
    run_at = run_deadline_at()
    if run_at is not None:
        at = min(at, run_at)
    deadline = Deadline(at)
    _WATCHDOG.arm(deadline)
    previous = getattr(_local, "deadline", None)
    _local.deadline = deadline
    try:
        yield deadline
    finally:
        _local.deadline = previous
        deadline.finish()


class _Watched:
    """Connection mixin: tells the exchange's deadline which connection it now uses."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        deadline: Deadline | None = getattr(_local, "deadline", None)
        if deadline is not None:
            deadline.attach(self)
        super().request(*args, **kwargs)  # type: ignore[misc]

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self._rr_sock = self.sock  # type: ignore[attr-defined]


class WatchedHTTPConnection(_Watched, HTTPConnection):
    """An HTTP connection a deadline can cut."""


class WatchedHTTPSConnection(_Watched, HTTPSConnection):
    """An HTTPS connection a deadline can cut."""


class WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


WATCHED_POOLS: dict[str, type[HTTPConnectionPool]] = {
    "http": WatchedHTTPPool, "https": WatchedHTTPSPool}
