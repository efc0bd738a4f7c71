"""The hub's app served by a real uvicorn on a thread of the test process, so a test can
hold many long polls open with `requests` and still look at the waker's state (how many
wait, whether the PostgreSQL listener is up) as readiness checks."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
import uvicorn

from rr_desktop.hub import feed, tokens
from rr_desktop.hub.server import create_app
from rr_desktop.hub.store import HubStore
from rr_desktop.hub.waker import FeedWaker, WaitRoute
from tests.hub.hub_rig import hub_process

READY_S = 30.0


def until(check: Callable[[], bool], what: str, within_s: float = READY_S) -> None:
    """Wait (polling) until `check()`; fail naming `what` after `within_s`."""
    end = time.monotonic() + within_s
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"not within {within_s:.0f} s: {what}")
        time.sleep(0.01)


@dataclass
class ServedHub:
    base: str
    store: HubStore
    waker: FeedWaker
    token: str

    def wait(self, after: int | None = None, timeout: float | str = 30,
             token: str | None = None) -> requests.Response:
        params: dict[str, Any] = {"timeout": timeout}
        if after is not None:
            params["after"] = after
        return requests.get(f"{self.base}/v1/changes/wait", params=params, timeout=60,
                            headers={"Authorization": f"Bearer {token or self.token}"})

    def head(self) -> int:
        with self.store.read() as conn:
            return feed.head(conn)


@contextmanager
def served_hub(url: str) -> Iterator[ServedHub]:
    store = HubStore.open(url)
    with store.write() as conn:
        token = tokens.add_analyst(conn, "mei.tan", "analyst")
    app = create_app(store)
    waker = next(r.waker for r in app.routes if isinstance(r, WaitRoute))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # as serve()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on",
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        until(lambda: server.started, "uvicorn started")
        yield ServedHub(f"http://127.0.0.1:{sock.getsockname()[1]}", store, waker, token)
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
        store.close()


def append(url: str, key: str = "zendesk:acme/1", rollback: bool = False) -> int:
    """One feed append committed (or rolled back) through a store of its own: another
    engine, so other connections than the served hub's."""
    store = HubStore.open(url, migrate=False)
    try:
        return _append(store, key, rollback)
    finally:
        store.close()


class _RolledBack(Exception):
    pass


def _append(store: HubStore, key: str, rollback: bool) -> int:
    seq = 0
    try:
        with store.write() as conn:
            seq = feed.append_change(conn, "escalation", key, {"title": "Hoax"}, version=1,
                                     actor="raj.k", desktop="raj-laptop")
            if rollback:
                raise _RolledBack
    except _RolledBack:
        pass
    return seq


def append_in_another_process(url: str) -> int:
    script = ("import sys; from tests.hub.push_rig import append; "
              "print(append(sys.argv[1], 'jira:T-9'))")
    done = subprocess.run([sys.executable, "-c", script, url], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip())


@contextmanager
def running_hub(db: str) -> Iterator[tuple[str, str]]:
    """`rr-desktop hub --db DB --port 0` in its own process, with one analyst made by
    `rr-desktop hub users add`: (base URL, their token)."""
    made = subprocess.run([sys.executable, "-m", "rr_desktop", "hub", "--db", db, "users",
                           "add", "mei.tan", "--role", "analyst"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert made.returncode == 0, made.stderr
    with hub_process(db) as hub:
        yield hub.base, made.stdout.strip()
