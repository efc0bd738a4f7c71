"""Hubs for tests: `hub_in_thread` (uvicorn serving `create_app` in this process, for
contract tests) and `hub_process` (`rr-desktop hub` in its own process, for pair tests,
kills and restarts); `add_user` makes an analyst and returns their token."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import uvicorn

from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.hub import caller, tokens
from rr_desktop.hub.server import create_app
from rr_desktop.hub.store import HubStore


def hub_client(base: str, token: str, desktop: str = "desk-a") -> RrApiChannel:
    """The desktop's real rr_api client on the hub, naming its desktop as the app does."""
    client = RrApiChannel("hub", base, token)
    client._http.session.headers[caller.DESKTOP_HEADER] = desktop
    return client


def add_user(store: HubStore, name: str, role: str = "analyst") -> str:
    with store.write() as conn:
        return tokens.add_analyst(conn, name, role)


@contextmanager
def hub_in_thread(store: HubStore, **app_kwargs: Any) -> Iterator[str]:
    """The hub's app on a free loopback port in a thread; its base URL."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    config = uvicorn.Config(create_app(store, **app_kwargs), log_level="warning",
                            access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the hub did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(20)
        sock.close()


class HubProcess:
    """`rr-desktop hub --db DB --port PORT` in its own process."""

    def __init__(self, db: str, port: int = 0, extra: Sequence[str] = ()) -> None:
        """`extra`: more options of `rr-desktop hub` (e.g. --intake DIR --secrets FILE)."""
        self.db = db
        # The JSON log goes to a file: a pipe nobody reads would fill and stall the hub.
        self.log = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed in stop and kill)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rr_desktop", "hub", "--db", db, "--port", str(port),
             *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        assert self.proc.stdout is not None
        self.line = self.proc.stdout.readline()  # printed once it listens (after migrating)
        if not self.line.startswith("rr-desktop hub: listening on http://127.0.0.1:"):
            self.proc.kill()
            self.proc.wait(15)
            self.log.seek(0)
            raise AssertionError(self.line + self.log.read()[-4000:])
        self.base = self.line.split()[4]
        self.port = int(self.base.rsplit(":", 1)[1])

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, whatever was in flight."""
        self.proc.kill()
        self.proc.wait(15)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.log.close()


@contextmanager
def hub_process(db: str, port: int = 0, extra: Sequence[str] = ()) -> Iterator[HubProcess]:
    hub = HubProcess(db, port, extra)
    try:
        yield hub
    finally:
        hub.stop()
