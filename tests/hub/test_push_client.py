"""The desktop's side of push: `RrApiChannel.idle_wait` against `rr-desktop hub` in its
own process (SQLite, and the real PostgreSQL), against the reference escalation service
(no wait route: it goes quiet), against nothing (a closed port), and the desktop id it
sends with every request.

Writes to the hub's feed go through HubStore directly (the rr_api write routes are not
on the hub yet): another writer than the client under test, as another desktop would be.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rr_desktop.channels.rr_api import RrApiChannel, head_watch
from rr_desktop.hub.caller import DESKTOP_HEADER, desktop_id
from tests.hub.push_rig import append, running_hub
from tests.peers.nginx import free_port
from tests.peers.postgres import PostgresServer
from tests.peers.reference_service import ReferenceService


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def hub_process(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """(base URL, database URL, an analyst's token) of `rr-desktop hub` in its own process."""
    if request.param == "sqlite":
        db, drop = f"sqlite:///{tmp_path / 'hub.sqlite3'}", None
    else:
        postgres: PostgresServer = request.getfixturevalue("postgres")
        drop = postgres.create_database()
        db = postgres.url(drop, tcp=True)
    try:
        with running_hub(db) as (base, token):
            yield base, db, token
    finally:
        if drop is not None:
            request.getfixturevalue("postgres").drop_database(drop)


def test_idle_wait_says_true_when_another_desktop_changes_the_hub(
        hub_process: tuple[str, str, str]) -> None:
    base, db, token = hub_process
    client = RrApiChannel("hub", base, token, desktop_id="mei-laptop-1a2b3c4d")
    try:
        assert client.idle_wait(0.5) is False  # learns the head (0), then times out
        assert client.watched_head == 0
        with ThreadPoolExecutor(1) as pool:
            waited = pool.submit(client.idle_wait, 25)
            seq = append(db)  # another writer: the feed moves
            assert waited.result() is True  # a timeout would have said False
        assert client.watched_head == seq == 1
        assert client.idle_wait(0.5) is False  # nothing new since
    finally:
        client.close()


def test_idle_wait_is_quiet_against_a_service_without_the_route(
        caplog: pytest.LogCaptureFixture) -> None:
    with ReferenceService(count=5, fresh=0) as service:
        client = RrApiChannel("ref", service.url, service.token)
        try:
            before = service.stats()["routes"].get("GET /v1/changes/wait", 0)
            with caplog.at_level(logging.INFO):
                results = [client.idle_wait(0.3) for _ in range(4)]
            asked = service.stats()["routes"].get("GET /v1/changes/wait", 0) - before
        finally:
            client.close()
    assert results == [False] * 4
    assert asked == 1  # the 404 is remembered (asked again in NO_PUSH_RECHECK_S)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert len([r for r in caplog.records if "no push route" in r.getMessage()]) == 1


def test_idle_wait_backs_off_when_nothing_answers(caplog: pytest.LogCaptureFixture,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()  # nothing listens there
    calls: list[object] = []
    real_call = head_watch.Transport.call

    def counted(self: object, *args: object, **kwargs: object) -> object:
        calls.append(args)
        return real_call(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(head_watch.Transport, "call", counted)
    client = RrApiChannel("hub", f"http://127.0.0.1:{port}", "rrh_x_y")
    try:
        with caplog.at_level(logging.INFO):
            assert client.idle_wait(1.0) is False
            assert client.idle_wait(0.5) is False
    finally:
        client.close()
    assert len(calls) == 1  # one refused connection, then the backoff (2 s) holds
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING]
    assert any("waiting for changes failed" in r.getMessage() for r in caplog.records)


class _Recorder(BaseHTTPRequestHandler):
    seen: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:
        type(self).seen.append((self.path.split("?")[0], self.headers.get(DESKTOP_HEADER)))
        body = b'{"head": 0}' if self.path.startswith("/v1/changes/wait") else \
            b'{"items": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def test_every_request_names_the_desktop() -> None:
    """Both sessions (sync's and the wait's) send X-RR-Desktop, in a form the hub keeps."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Recorder.seen = []
    client = RrApiChannel("hub", f"http://127.0.0.1:{server.server_address[1]}", "t",
                          desktop_id="mei-laptop-1a2b3c4d")
    try:
        assert client.analysts() == []
        assert client.idle_wait(0.2) is False
    finally:
        client.close()
        server.shutdown()
        server.server_close()
    paths = {path for path, _ in _Recorder.seen}
    assert paths == {"/v1/analysts", "/v1/changes/wait"}
    assert {desktop for _, desktop in _Recorder.seen} == {"mei-laptop-1a2b3c4d"}
    assert desktop_id("mei-laptop-1a2b3c4d") == "mei-laptop-1a2b3c4d"


def test_the_desktop_id_is_made_once_and_kept(tmp_path: Path) -> None:
    from rr_desktop.store.desktop_identity import desktop_id as local_id
    from rr_desktop.store.desktop_identity import new_desktop_id
    from rr_desktop.store.store import Store

    store = Store.open(tmp_path / "cache.sqlite3")
    try:
        first = local_id(store)
        assert first is not None and local_id(store) == first
    finally:
        store.close()
    store = Store.open(tmp_path / "cache.sqlite3")
    try:
        assert local_id(store) == first  # kept in the cache across opens
    finally:
        store.close()
    assert desktop_id(first) == first  # the hub accepts it as it is
    for host in ("", "ünïcode host/with spaces", "x" * 200, "-.-"):
        made = new_desktop_id(host)
        assert desktop_id(made) == made, host
    assert new_desktop_id("mei-laptop") != new_desktop_id("mei-laptop")
    assert socket.gethostname()  # the default host part comes from here
