"""Running the hub for real, in its own process: a stop on SIGTERM lets a write in flight
finish (and never cuts its transaction), the log is JSON lines without a secret, one hub
per SQLite file and no restore under a running hub."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from rr_desktop.demo.generator import generate
from rr_desktop.hub.escalation_store import HubEscalations
from rr_desktop.hub.store import HubStore
from tests.hub.hub_rig import add_user
from tests.hub.logged_hub import LoggedHub
from tests.peers.postgres import PostgresServer

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def seeded(sqlite_url: str) -> tuple[str, str, dict[str, Any]]:
    """(database URL, a lead's token, an unassigned escalation) of a new SQLite hub."""
    store = HubStore.open(sqlite_url)
    try:
        escalations = HubEscalations(store)
        escalations.load(generate(7, 5, NOW))
        token = add_user(store, "lead.li", "lead")
        target = next(e for e in (escalations.get(f"ESC-{n:06d}") for n in range(1, 6))
                      if e is not None and e["status"] != "investigating")
    finally:
        store.close()
    return sqlite_url, token, target


@pytest.fixture
def running(seeded: tuple[str, str, dict[str, Any]], request: pytest.FixtureRequest
            ) -> Iterator[tuple[LoggedHub, str, dict[str, Any], Path]]:
    url, token, target = seeded
    args = getattr(request, "param", ())
    hub = LoggedHub(url, "--log-level", "debug", *args)
    try:
        yield hub, token, target, Path(url.removeprefix("sqlite:///"))
    finally:
        hub.stop()


def _patch_in_thread(base: str, token: str, target: dict[str, Any]
                     ) -> tuple[threading.Thread, dict[str, Any]]:
    answer: dict[str, Any] = {}

    def patch() -> None:
        try:
            response = requests.patch(
                f"{base}/v1/escalations/{target['id']}", json={"status": "investigating"},
                headers={"Authorization": f"Bearer {token}", "X-RR-Desktop": "desk-a",
                         "If-Match": f'"{target["version"]}"'}, timeout=90)
            answer["status"], answer["body"] = response.status_code, response.json()
        except requests.RequestException as exc:
            answer["error"] = exc

    thread = threading.Thread(target=patch)
    thread.start()
    return thread, answer


def _stored(db: Path, escalation_id: str) -> dict[str, Any]:
    with sqlite3.connect(db) as conn:
        for (fields,) in conn.execute("SELECT fields FROM hub_escalation"):
            record: dict[str, Any] = json.loads(fields)
            if record.get("id") == escalation_id:
                return record
    raise AssertionError(f"{escalation_id} is not in the hub's database")


def _refuses_connections(port: int, within_s: float = 10) -> bool:
    """True once a connection to `port` is refused (the listening socket closed)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        except ConnectionRefusedError:
            return True
        time.sleep(0.02)
    return False


@pytest.mark.slow
def test_sigterm_lets_a_write_in_flight_answer_and_commit(running: Any) -> None:
    hub, token, target, db = running
    locker = sqlite3.connect(db, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # the database's write lock: the hub's write queues
    try:
        thread, answer = _patch_in_thread(hub.base, token, target)
        hub.event("request_start", method="PATCH")
        hub.terminate()
        assert hub.event("stopping", signal="SIGTERM")["in_flight"] == 1
        assert _refuses_connections(hub.port)  # it stopped accepting at once
        hub.wait_for(lambda line: line.get("message", "").startswith(
            "Waiting for connections to close"))  # uvicorn's grace period has begun
        threading.Event().wait(1.0)  # the lock is held a while longer: a slow transaction
        assert "status" not in answer and thread.is_alive()
    finally:
        locker.rollback()  # release: the queued write goes ahead
        locker.close()
    thread.join(60)
    assert answer.get("status") == 200, answer
    assert answer["body"]["status"] == "investigating"
    code, _, err = hub.finish()
    assert code == 0, err
    stored = _stored(db, target["id"])
    assert stored["status"] == "investigating"
    assert stored["version"] == answer["body"]["version"] > target["version"]
    events = [(line["event"], line.get("method"), line.get("status")) for line in hub.lines]
    # answered after the stop began; slow (it queued for the lock over a second)
    assert events.index(("stopping", None, None)) < events.index(
        ("slow_request", "PATCH", 200))
    assert events[-1] == ("stop", None, None) and ("not-json", None, None) not in events


@pytest.mark.slow
@pytest.mark.parametrize("running", [("--shutdown-timeout", "1")], indirect=True)
def test_past_the_shutdown_timeout_the_answer_is_lost_but_not_the_transaction(
        running: Any) -> None:
    hub, token, target, db = running
    locker = sqlite3.connect(db, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        thread, answer = _patch_in_thread(hub.base, token, target)
        hub.event("request_start", method="PATCH")
        hub.terminate()
        hub.wait_for(lambda line: "timeout graceful shutdown exceeded"
                     in line.get("message", ""))
    finally:
        locker.rollback()
        locker.close()
    thread.join(60)
    assert "error" in answer, answer  # the connection closed without an answer
    code, _, err = hub.finish()
    assert code == 0, err
    stored = _stored(db, target["id"])  # yet the write was done whole, not cut
    assert stored["status"] == "investigating" and stored["version"] > target["version"]


@pytest.mark.slow
@pytest.mark.parametrize("running", [("--shutdown-timeout", "5")], indirect=True)
def test_sigterm_answers_open_long_polls_at_once(running: Any) -> None:
    """A desktop's long poll holds no transaction: on a stop it is answered (with the head
    as it is) instead of being cut when the grace period ends."""
    hub, token, _, _ = running
    answer: dict[str, Any] = {}

    def wait() -> None:
        try:
            response = requests.get(f"{hub.base}/v1/changes/wait?after=999999&timeout=30",
                                    headers={"Authorization": f"Bearer {token}"}, timeout=60)
            answer["status"], answer["body"] = response.status_code, response.json()
        except requests.RequestException as exc:
            answer["error"] = exc

    thread = threading.Thread(target=wait)
    thread.start()
    hub.event("request_start", path="/v1/changes/wait")
    hub.terminate()
    thread.join(60)
    assert answer.get("status") == 200, answer  # not cut after the 5 s grace
    assert answer["body"]["head"] == 5  # the five loaded escalations
    code, _, err = hub.finish()
    assert code == 0, err


@pytest.mark.slow
def test_one_hub_per_sqlite_file_and_no_restore_under_it(running: Any, tmp_path: Path
                                                         ) -> None:
    hub, _, _, db = running
    pid = hub.proc.pid
    second = subprocess.run([sys.executable, "-m", "rr_desktop", "hub", "--db",
                             f"sqlite:///{db}", "--port", "0"],
                            capture_output=True, text=True, timeout=60)
    assert (second.returncode, second.stdout) == (1, "")
    assert second.stderr == (f"rr-desktop hub: error: A hub (pid {pid}) is using {db}; "
                             "stop it first (one hub per file).\n")
    backup = tmp_path / "b.sqlite3"
    made = subprocess.run([sys.executable, "-m", "rr_desktop", "hub", "--db",
                           f"sqlite:///{db}", "backup", "--to", str(backup)],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr  # a backup is fine while it runs
    refused = subprocess.run([sys.executable, "-m", "rr_desktop", "hub", "--db",
                              f"sqlite:///{db}", "restore", "--from", str(backup)],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and refused.stderr == (
        f"rr-desktop hub: error: A hub (pid {pid}) is using {db}; stop it before "
        "restoring.\n")
    assert requests.get(f"{hub.base}/healthz", timeout=10).json() == {"status": "ok"}
    hub.terminate()
    assert hub.finish()[0] == 0
    restored = subprocess.run([sys.executable, "-m", "rr_desktop", "hub", "--db",
                               f"sqlite:///{db}", "restore", "--from", str(backup)],
                              capture_output=True, text=True, timeout=60)
    assert restored.returncode == 0, restored.stderr  # the lock went with the process


@pytest.mark.slow
def test_the_log_is_json_lines_without_the_password_or_a_token(
        postgres: PostgresServer) -> None:
    name = postgres.create_database()
    password = "Pa55-w0rd-never-logged"
    # The test cluster trusts local connections: the password is sent, never needed.
    db = postgres.url(name, tcp=True).replace("rr@", f"rr:{password}@")
    try:
        store = HubStore.open(db)
        try:
            token = add_user(store, "mei.tan", "analyst")
        finally:
            store.close()
        hub = LoggedHub(None, "--log-level", "debug", env={"RR_HUB_DB": db})
        try:
            assert password not in hub.line and "rr:***@127.0.0.1" in hub.line
            auth = {"Authorization": f"Bearer {token}"}
            assert requests.get(f"{hub.base}/v1/changes", headers=auth,
                                timeout=10).status_code == 200
            assert requests.get(f"{hub.base}/v1/changes?after=0&token={token}",
                                timeout=10).status_code == 401
            assert requests.get(f"{hub.base}/v1/changes?after=x", headers=auth,
                                timeout=10).status_code == 400
            hub.event("request", path="/v1/changes", status=400)
            postgres.drop_database(name)  # the database goes away under the hub
            assert requests.get(f"{hub.base}/healthz", timeout=30).status_code == 503
            failed = hub.event("request_error", path="/healthz")
            assert (failed["level"], failed["status"]) == ("warning", 503)
            hub.terminate()
            code, out, err = hub.finish()
        finally:
            hub.stop()
    finally:
        postgres.drop_database(name)
    assert code == 0, err
    secret = token.split("_", 2)[2]
    for text in (hub.line, out, err):
        assert password not in text and secret not in text and token not in text
    lines = [json.loads(line) for line in err.splitlines()]  # every line is JSON
    assert [line["event"] for line in lines if line["event"] not in (
        "request_start", "request", "request_error", "uvicorn")] == [
        "start", "listening", "stopping", "stop"]
    assert lines[0]["database"] == \
        f"postgresql+psycopg://rr:***@127.0.0.1:{postgres.port}/{name}"
    assert all({"at", "level", "event"} <= line.keys() for line in lines)
