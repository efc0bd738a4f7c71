"""The REST channel end to end: a local JSON API, the real Store and SyncEngine, the CLI."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend

from rr_desktop import cli
from rr_desktop.channels.rest import RestChannel, decode_config
from rr_desktop.domain import Channel
from rr_desktop.domain.push import Push
from rr_desktop.store import channel_state as cs
from rr_desktop.store import outbox as ob
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import utcnow
from rr_desktop.sync.engine import SyncEngine
from rr_desktop.workspace import record_pushes
from tests.peers.rest_server import TOKEN, Fault, RestTool, rest_server

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "channels" / "example-rest.json"
NAME = "desk"


def config_doc(url: str, **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(EXAMPLE.read_text())
    doc["base_url"] = url
    doc["pagination"]["page_size"] = 4
    doc.update(changes)
    return doc


@dataclass
class Env:
    url: str
    tool: RestTool
    store: Store
    engine: SyncEngine

    def use(self, **changes: Any) -> RestChannel:
        client = RestChannel(NAME, decode_config(json.dumps(config_doc(self.url, **changes))),
                             TOKEN)
        self.engine.clients[NAME] = client
        return client

    def rows(self) -> dict[str, tuple[Any, ...]]:
        with self.store.read() as db:
            return {r[0]: tuple(r[1:]) for r in db.execute(
                "SELECT external_id, id, status, assignee, severity, remote_version "
                "FROM escalation")}

    def esc_id(self, ext: str) -> int:
        return int(self.rows()[ext][0])

    def outbox(self) -> list[tuple[str, str, str | None]]:
        with self.store.read() as db:
            return list(db.execute("SELECT op_type, state, last_error FROM outbox ORDER BY seq"))

    def retry_now(self) -> None:
        with self.store.write() as db:
            db.execute("UPDATE outbox SET next_attempt_at = 0 WHERE state = 'pending'")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with rest_server(10) as (url, tool):
        store = Store.open(tmp_path / "cache.sqlite3")
        with store.write() as db:
            cs.ensure_channel(db, Channel(NAME, "rest", {"config_file": str(EXAMPLE)}))
        e = Env(url, tool, store, SyncEngine(store, {}, rng=random.Random(3)))
        e.use()
        yield e
        store.close()


def test_items_arrive_once_bad_ones_quarantined_second_run_changes_nothing(env: Env) -> None:
    env.tool.insert_raw({"id": "BAD-1", "summary": "no time"}, "2024-05-01T00:00:03Z")
    env.tool.insert_raw(["not", "an", "object"], "2024-05-01T00:00:04Z")
    report = env.engine.run(NAME)
    assert report.error is None, report.error
    assert (report.received, report.changed, report.quarantined) == (10, 10, 2)
    rows = env.rows()
    assert sorted(rows) == sorted(f"AB-{n}" for n in range(1, 11))
    assert rows["AB-1"][1:] == ("new", None, 0, 1)  # P1 -> S0, version 1
    with env.store.read() as db:
        reasons = sorted(r[0] for r in db.execute("SELECT reason FROM quarantine"))
    assert reasons == ["no updated_at at 'updated_at'",
                       "the record is a JSON list, not an object"]
    again = env.engine.run(NAME)
    assert again.error is None and again.changed == 0 and again.received == 10
    env.tool.mutate("AB-3", state="contained")
    third = env.engine.run(NAME)
    assert third.changed == 1 and env.rows()["AB-3"][1] == "contained"


def test_pushed_changes_reach_the_server_exactly_once(env: Env) -> None:
    assert env.engine.run(NAME).error is None
    esc = env.esc_id("AB-2")
    with env.store.write() as db:
        ob.record_local_update(db, esc, {"status": "triaged", "assignee": "a.tan",
                                         "severity": "S0", "tags": ["livestream", "au"]},
                               "a.tan", "test", utcnow())
        ob.record_message(db, esc, "note", "checked with Legal", "a.tan", utcnow())
        ob.record_message(db, esc, "reply", "Thanks, we are on it", "a.tan", utcnow())
    report = env.engine.run(NAME)
    assert report.error is None and report.pushed == 3, report
    rec = env.tool.items["AB-2"]
    assert (rec["state"], rec["priority"], rec["assignee"]) == ("triage", "P1",
                                                                {"login": "a.tan"})
    assert [lb["name"] for lb in rec["labels"]] == ["livestream", "au"]
    assert env.tool.patches == {"AB-2": 1}
    assert [(c["body"], c["internal"]) for c in rec["comments"]] == [
        ("checked with Legal", True), ("Thanks, we are on it", False)]
    assert env.rows()["AB-2"][1:] == ("triaged", "a.tan", 0, rec["version"])  # echo applied
    assert env.engine.run(NAME).changed == 0
    patch = [p for m, p in env.tool.log if m == "PATCH"]
    assert patch == ["/api/items/AB-2"]


def test_lost_responses_and_5xx_still_apply_once(env: Env) -> None:
    assert env.engine.run(NAME).error is None
    esc = env.esc_id("AB-5")
    with env.store.write() as db:
        ob.record_local_update(db, esc, {"status": "contained"}, "a.tan", None, utcnow())
        ob.record_message(db, esc, "note", "contained the clip", "a.tan", utcnow())
    env.tool.faults += [Fault(500, method="PATCH", after=True),
                        Fault(503, method="PATCH"),
                        Fault(502, method="POST", after=True)]
    for _ in range(6):
        env.engine.run(NAME)
        if all(state == "done" for _, state, _ in env.outbox()):
            break
        env.retry_now()
    assert [s for _, s, _ in env.outbox()] == ["done", "done"], env.outbox()
    assert env.tool.patches == {"AB-5": 1}
    assert [c["body"] for c in env.tool.items["AB-5"]["comments"]] == ["contained the clip"]
    assert env.rows()["AB-5"][1] == "contained"


def test_same_field_changed_on_both_sides_is_a_conflict(env: Env) -> None:
    assert env.engine.run(NAME).error is None
    esc = env.esc_id("AB-1")
    with env.store.write() as db:
        ob.record_local_update(db, esc, {"status": "declined"}, "a.tan", "spam", utcnow())
    env.tool.mutate("AB-1", state="contained")
    report = env.engine.run(NAME)
    assert report.conflicts == 1
    assert env.tool.items["AB-1"]["state"] == "contained" and env.tool.patches == {}
    with env.store.read() as db:
        assert db.execute("SELECT field, mine, theirs FROM conflict").fetchall() == [
            ("status", '"declined"', '"contained"')]


def test_what_the_config_cannot_do_stays_local_or_is_refused(env: Env) -> None:
    """The config writes statuses back and nothing else: an urgency change stays on this
    machine (no op; the timeline says so) and a reply is refused before it is queued."""
    assert env.engine.run(NAME).error is None
    client = env.use(write={"update": {"path": "/items/{id}", "fields": {"status": "state"}}})
    record_pushes(env.store, {NAME: client})  # as the app does when a channel (re)starts
    esc = env.esc_id("AB-1")
    with env.store.write() as db:
        ob.record_local_update(db, esc, {"urgency": "U0", "status": "triaged"}, "a.tan",
                               None, utcnow())
        with pytest.raises(ob.NotReceived, match="cannot send replies"):
            ob.record_message(db, env.esc_id("AB-2"), "reply", "hello", "a.tan", utcnow())
    report = env.engine.run(NAME)
    assert report.dead == 0 and report.pushed == 1
    assert env.tool.items["AB-1"]["state"] == "triage"  # the tool's word for it
    with env.store.read() as db:
        queued = [(json.loads(p), s) for p, s in db.execute("SELECT payload, state FROM outbox")]
        urgency = db.execute("SELECT urgency FROM escalation WHERE id = ?", (esc,)).fetchone()
    assert queued == [({"status": "triaged"}, "done")] and urgency == (0,)


def test_what_the_config_cannot_do_is_dead_lettered_with_a_sentence(env: Env) -> None:
    """Changes queued before the config took a write away (or by an older version)
    reach a channel that cannot send them: dead letters with a sentence, never sent."""
    assert env.engine.run(NAME).error is None
    esc = env.esc_id("AB-1")
    with env.store.write() as db:
        cs.set_pushes(db, 1, [p.value for p in Push])  # queued while everything went
        ob.record_local_update(db, esc, {"urgency": "U0"}, "a.tan", None, utcnow())
        ob.record_message(db, env.esc_id("AB-2"), "reply", "hello", "a.tan", utcnow())
    env.use(write={"update": {"path": "/items/{id}", "fields": {"status": "state"}}})
    report = env.engine.run(NAME)
    assert report.dead == 2
    assert [e for _, _, e in env.outbox()] == [
        "desk: the config cannot write urgency back to this tool (see write.update.fields)",
        "desk: this tool takes no replys (the config has no write.reply); the reply was not "
        "sent"]


def test_expired_cursor_resyncs_without_touching_the_outbox(env: Env) -> None:
    client = env.use(list={"path": "/cursor/items", "items": "items"},
                     pagination={"style": "cursor", "size_param": "limit", "page_size": 4,
                                 "next_cursor": "next", "expired_statuses": [400, 410],
                                 "expired_contains": "expired"})
    assert env.engine.run(NAME).error is None
    with env.store.write() as db:
        ob.record_message(db, env.esc_id("AB-1"), "note", "x", "a.tan", utcnow())
        db.execute("UPDATE outbox SET next_attempt_at = 9999999999")
        cs.set_cursor(db, 1, "default", client.pull(None).next_cursor, utcnow())
    env.tool.expire_cursors(400)
    report = env.engine.run(NAME)
    assert report.error is None and report.resynced and report.received == 10
    assert [s for _, s, _ in env.outbox()] == ["pending"]


def test_rate_limits_are_waited_not_failed(env: Env) -> None:
    env.tool.faults.append(Fault(429, count=3, headers={"Retry-After": "0"}, method="GET"))
    report = env.engine.run(NAME)
    assert report.error is None and report.received == 10
    assert env.tool.faults[0].count == 0  # the 429s really happened


def test_errors_are_clear_sentences(env: Env) -> None:
    client = env.use()
    client._http.session.headers["Authorization"] = "Bearer wrong"
    report = env.engine.run(NAME)
    assert report.error == "desk: the server refused the credentials (401)"
    env.use(list={"path": "/nowhere", "items": "data.items"})
    report = env.engine.run(NAME)
    assert report.error == (f"desk: {env.url} has no /nowhere (404): check base_url and "
                            "list.path")
    assert TOKEN not in (report.error or "")


class _MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.data.pop((service, username), None)


def test_cli_adds_a_rest_channel_from_a_shared_config_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    ring = _MemoryKeyring()
    old = keyring.get_keyring()
    keyring.set_keyring(ring)
    data = tmp_path / "data"
    try:
        with rest_server(6) as (url, _):
            shared = tmp_path / "abuse-desk.json"
            shared.write_text(json.dumps(config_doc(url)))
            monkeypatch.setattr("sys.stdin", io.StringIO(TOKEN + "\n"))
            assert cli.main(["--data-dir", str(data), "channels", "add", "rest", NAME,
                             "--set", f"config_file={shared}", "--test"]) == 0
            assert cli.main(["--data-dir", str(data), "sync", "--once"]) == 0
    finally:
        keyring.set_keyring(old)
    out = capsys.readouterr()
    assert "desk: connection works" in out.out
    assert "desk: ok: 6 received, 6 changed" in out.out
    assert ring.data == {("rr-desktop", f"channel:{NAME}:secret"): TOKEN}
    assert TOKEN not in out.out + out.err
    for path in data.rglob("*"):  # the secret is in the keyring only, never in the data dir
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    assert TOKEN not in shared.read_text()


def test_a_changed_mapping_resyncs_and_frees_what_it_quarantined(env: Env) -> None:
    env.tool.mutate("AB-4", priority="Blocker")
    first = env.engine.run(NAME)
    assert (first.received, first.quarantined) == (9, 1)
    doc = config_doc(env.url)
    doc["values"]["severity"]["Blocker"] = "S0"  # the team fixes the shared file
    env.use(values=doc["values"])
    report = env.engine.run(NAME)
    assert report.error is None and report.resynced and report.received == 10
    assert env.rows()["AB-4"][3] == 0
