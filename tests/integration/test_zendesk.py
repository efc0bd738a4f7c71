"""The Zendesk channel through the real SyncEngine + Store against a local fake Zendesk
that follows the documented shapes (tests/peers/zendesk_server.py)."""

from __future__ import annotations

import json
import random
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rr_desktop.channels.contract import AuthError, NetworkError, RateLimited, Rejected
from rr_desktop.channels.zendesk import ZendeskChannel
from rr_desktop.domain import Channel
from rr_desktop.store import channel_state as cs
from rr_desktop.store import outbox as ob
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import utcnow
from rr_desktop.sync.engine import SyncEngine
from tests.peers.zendesk_server import ADMIN_ID, AGENT_ID, ZendeskServer


@dataclass
class Env:
    server: ZendeskServer
    store: Store
    engine: SyncEngine
    client: ZendeskChannel

    def run(self) -> Any:
        report = self.engine.run("zd")
        assert report.error is None, report.error
        return report

    def row(self, ext: str) -> dict[str, Any]:
        with self.store.read() as db:
            cur = db.execute("SELECT id, status, assignee, severity, urgency, tags, "
                             "remote_version, facts, title, reporter FROM escalation "
                             "WHERE external_id = ?", (ext,))
            values = cur.fetchone()
            assert values is not None, ext
            return dict(zip([d[0] for d in cur.description], values, strict=True))

    def count(self, table: str = "escalation") -> int:
        with self.store.read() as db:
            return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _seed(server: ZendeskServer, n: int = 12) -> list[str]:
    st = server.state
    ids = [st.add_ticket(f"Report {i}: harmful video", f"Partner report number {i}",
                         status=("new", "open", "pending")[i % 3],
                         priority=("urgent", "high", "normal", None)[i % 4],
                         tags=["hate_speech"] if i % 2 else [], replies=i % 3)
           for i in range(n)]
    return [str(i) for i in ids]


def _env(server: ZendeskServer, tmp: Path, **kw: Any) -> Env:
    store = Store.open(tmp / "cache.sqlite3")
    with store.write() as db:
        cs.ensure_channel(db, Channel("zd", "zendesk", {"base_url": server.url}))
    client = ZendeskChannel("zd", server.url, server.token, email=server.email,
                            page_size=kw.pop("page_size", 5), **kw)
    engine = SyncEngine(store, {"zd": client}, rng=random.Random(0))
    return Env(server, store, engine, client)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with ZendeskServer() as server:
        e = _env(server, tmp_path)
        yield e
        e.client.close()
        e.store.close()


def test_tickets_arrive_once_bad_items_quarantined_rerun_changes_nothing(env: Env) -> None:
    ids = _seed(env.server)
    env.server.state.add_raw({"id": 900, "status": "bogus", "created_at": "2024-01-01T00:00:00Z",
                              "updated_at": "2024-01-01T00:00:00Z"})
    env.server.state.add_raw({"subject": "no id at all"})
    env.server.state.add_raw({"id": 901, "status": "open", "created_at": "yesterday",
                              "updated_at": "2024-01-01T00:00:00Z"})
    report = env.run()
    assert report.received == 12 and report.changed == 12 and report.quarantined == 3
    assert report.pages == 3  # 15 stream items, 5 a page
    with env.store.read() as db:
        ext = sorted(r[0] for r in db.execute("SELECT external_id FROM escalation"))
        bad = sorted(str(r[0]) for r in db.execute("SELECT external_id FROM quarantine"))
    assert ext == sorted(ids) and bad == ["900", "901", "None"]
    row = env.row(ids[2])  # 2 follow-ups, priority normal, status pending
    assert row["status"] == "waiting_on_partner" and row["urgency"] == 2
    facts = json.loads(row["facts"])
    assert [f["text"].split(":")[0] for f in facts] == [
        "Reply by Trusted Partner NGO", "Internal note by Kenji Agent"]  # description skipped
    assert row["reporter"] == "Trusted Partner NGO"
    assert env.server.state.calls["export"] == 3
    assert env.server.state.calls["comments"] == 12  # one per changed ticket
    again = env.run()
    assert again.received == 0 and again.changed == 0
    assert env.count() == 12 and env.count("quarantine") == 3
    env.server.state.add_comment(int(ids[0]), "Views passed 1M", public=True)
    third = env.run()
    assert third.received == 1 and third.changed == 1
    assert "Views passed 1M" in env.row(ids[0])["facts"]


def _queue(env: Env, ext: str, fields: dict[str, Any]) -> int:
    esc_id = int(env.row(ext)["id"])
    with env.store.write() as db:
        ob.record_local_update(db, esc_id, fields, "a.tan", "triage", utcnow())
    return esc_id


def _outbox(env: Env) -> list[tuple[str, str, str | None]]:
    with env.store.read() as db:
        return [tuple(r) for r in db.execute(
            "SELECT op_type, state, last_error FROM outbox ORDER BY seq")]


@pytest.mark.parametrize("fault", ["none", "429", "500", "drop_after"])
def test_pushed_changes_reach_zendesk_exactly_once(env: Env, fault: str) -> None:
    [ext, *_] = _seed(env.server, 3)
    env.run()
    esc_id = _queue(env, ext, {"status": "triaged", "assignee": str(AGENT_ID),
                               "severity": "S0", "urgency": "U1", "tags": ["hate_speech",
                                                                             "escalated"]})
    with env.store.write() as db:
        ob.record_message(db, esc_id, "note", "Checked with Legal", "a.tan", utcnow())
        ob.record_message(db, esc_id, "reply", "Thanks, we are on it.", "a.tan", utcnow())
    if fault != "none":  # the update's write, and the note's
        env.server.faults.add(fault, "/api/v2/tickets/1.json", count=2, method="PUT")
    for _ in range(6):
        env.run()
        if all(state == "done" for _, state, _ in _outbox(env)):
            break
        with env.store.write() as db:  # don't wait out backoff in a test
            db.execute("UPDATE outbox SET next_attempt_at = 0")
    assert [s for _, s, _ in _outbox(env)] == ["done"] * 3, _outbox(env)
    assert env.server.faults.injected == ([] if fault == "none" else [fault] * 2)
    t = env.server.state.tickets[1]
    assert t["status"] == "open" and t["assignee_id"] == AGENT_ID
    assert t["priority"] == "high" and t["tags"] == ["escalated", "hate_speech", "severity_s0"]
    comments = [(c["body"], c["public"], c["author_id"]) for c in env.server.state.comments[1]]
    assert comments[-2:] == [("Checked with Legal", False, ADMIN_ID),
                             ("Thanks, we are on it.", True, ADMIN_ID)]
    assert env.server.state.puts[1] == 3  # one update + two comments, none doubled
    row = env.row(ext)
    assert row["severity"] == 0 and row["urgency"] == 1 and row["assignee"] == str(AGENT_ID)
    assert row["status"] == "investigating"  # Zendesk "open" is how triaged comes back
    assert row["remote_version"] // 1000 == env.server.state.tickets[1]["generated_timestamp"]
    assert "Thanks, we are on it." in row["facts"]
    assert env.run().changed == 0  # echo applied: our own change is no news


def test_same_field_changed_in_zendesk_is_a_conflict(env: Env) -> None:
    [ext, *_] = _seed(env.server, 1)  # status new, priority urgent
    env.run()
    esc_id = _queue(env, ext, {"status": "declined", "severity": "S3"})
    env.server.state.mutate(1, status="hold", assignee_id=AGENT_ID)  # a colleague acts
    report = env.engine.run("zd")
    assert report.error is None and report.conflicts == 1
    assert env.server.state.tickets[1]["status"] == "hold"  # theirs not overwritten
    assert env.server.state.puts[1] == 0
    with env.store.read() as db:
        conflicts = db.execute("SELECT field, mine, theirs FROM conflict WHERE "
                               "escalation_id = ?", (esc_id,)).fetchall()
    assert conflicts == [("status", '"declined"', '"waiting_on_stakeholder"')]
    assert env.row(ext)["assignee"] == str(AGENT_ID)  # their disjoint change merged


class _RacingChannel(ZendeskChannel):
    """Someone comments on the ticket between our read and our write (once)."""

    server: ZendeskServer
    raced = False

    def snapshot(self, tid: int) -> Any:
        snap = super().snapshot(tid)
        if not self.raced:
            self.raced = True
            self.server.state.add_comment(tid, "Any update?", public=True)
        return snap


def test_safe_update_409_rebases_and_pushes_once(env: Env) -> None:
    [ext, *_] = _seed(env.server, 1)
    env.run()
    racing = _RacingChannel("zd", env.server.url, env.server.token, email=env.server.email)
    racing.server = env.server
    env.engine.clients["zd"] = racing
    _queue(env, ext, {"status": "investigating"})
    env.run()
    assert [s for _, s, _ in _outbox(env)] == ["done"]
    assert env.server.state.tickets[1]["status"] == "open" and env.server.state.puts[1] == 1
    assert env.server.state.calls["put"] == 2  # the first one met 409 (safe_update)
    assert "Any update?" in env.row(ext)["facts"]
    racing.close()


def test_expired_cursor_resyncs_without_touching_the_outbox(env: Env) -> None:
    [ext, *_] = _seed(env.server, 7)
    env.run()
    _queue(env, ext, {"severity": "S3"})
    with env.store.write() as db:
        db.execute("UPDATE outbox SET next_attempt_at = 9999999999")  # keep it queued
    env.server.faults.add("expired", "/api/v2/incremental/")
    report = env.run()
    assert report.resynced and report.received == 7 and env.count() == 7
    assert [s for _, s, _ in _outbox(env)] == ["pending"]
    assert env.run().received == 0  # the new cursor works


def test_rate_limits_are_waited_out_without_spending_the_export_budget(env: Env) -> None:
    _seed(env.server, 10)
    env.server.faults.add("429", "/api/v2/incremental/", retry_after=1)
    env.server.faults.add("429", "/api/v2/tickets/3/comments", retry_after=1)
    waits: list[str] = []
    report = env.engine.run("zd", progress=lambda p: waits.append(p.message)
                            if p.phase == "wait" else None)
    assert report.error is None and report.received == 10
    assert env.server.faults.injected == ["429", "429"]
    assert sum("rate limited" in w for w in waits) == 2
    # 2 pages answered: the comments 429 did not make the engine re-request the page
    assert env.server.state.calls["export"] == 2


def test_export_budget_is_kept_on_our_side(tmp_path: Path) -> None:
    clock = [1000.0]
    with ZendeskServer() as server:
        _seed(server, 6)
        server.state.export_limit = 10  # what Zendesk enforces
        client = ZendeskChannel("zd", server.url, server.token, email=server.email,
                                page_size=2, export_per_minute=2, comments="none",
                                monotonic=lambda: clock[0])
        first = client.pull(None)
        second = client.pull(first.next_cursor)
        with pytest.raises(RateLimited) as waited:
            client.pull(second.next_cursor)
        assert 59 < waited.value.retry_after <= 60
        assert server.state.calls["export"] == 2 and "+" in (second.next_cursor or "")
        clock[0] += 60
        assert client.pull(second.next_cursor).done
        server.state.export_limit = 0  # the server refuses: Retry-After is honoured
        with pytest.raises(RateLimited) as refused:
            client.pull(None)
        assert 55 < refused.value.retry_after <= 61
        assert server.state.calls["comments"] == 0  # comments="none"
        client.close()


def test_impossible_pushes_are_dead_lettered_with_a_clear_reason(env: Env) -> None:
    [closed, gone, *_] = _seed(env.server, 2)
    env.run()
    env.server.state.mutate(1, status="closed")
    env.run()
    _queue(env, closed, {"urgency": "U3"})
    _queue(env, gone, {"urgency": "U3"})
    del env.server.state.tickets[2]  # deleted in Zendesk since our sync
    env.run()
    assert _outbox(env) == [
        ("update", "dead", "zd: ticket 1 is closed in Zendesk and can no longer be changed"),
        ("update", "dead", "zd: the ticket no longer exists in Zendesk (404: deleted or "
                           "merged)")]


def test_connection_test_verdicts(tmp_path: Path) -> None:
    with ZendeskServer(oauth_token="oauth-abc") as server:
        server.state.add_agent("kenji@example.com", "agent-token")
        ZendeskChannel("zd", server.url, server.token, email=server.email).check()
        ZendeskChannel("zd", server.url, "oauth-abc", oauth=True).check()
        with pytest.raises(AuthError, match="refused the credentials"):
            ZendeskChannel("zd", server.url, "wrong", email=server.email).check()
        with pytest.raises(Rejected, match="needs an admin"):
            ZendeskChannel("zd", server.url, "agent-token", email="kenji@example.com").check()
        server.faults.add("garbage", "/api/v2/users/me")
        with pytest.raises(Rejected, match="not like the Zendesk API: check the URL"):
            ZendeskChannel("zd", server.url, server.token, email=server.email).check()
        with pytest.raises(Rejected, match="not a Zendesk account"):
            ZendeskChannel("zd", server.url + "/prefix", server.token,
                           email=server.email).check()
        env = _env(server, tmp_path)
        env.engine.clients["zd"] = ZendeskChannel("zd", server.url, "wrong",
                                                  email=server.email)
        report = env.engine.run("zd")
        assert report.error == "zd: the server refused the credentials (401)"
        env.store.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(NetworkError, match="cannot reach"):
        ZendeskChannel("zd", f"http://127.0.0.1:{port}", "t", email="a@b.c").check()


@pytest.mark.parametrize("mode, fetched", [("none", 0), ("open", 2), ("all", 3)])
def test_comment_modes_bound_the_request_budget(tmp_path: Path, mode: str,
                                                fetched: int) -> None:
    with ZendeskServer() as server:
        for status in ("open", "pending", "solved"):
            server.state.add_ticket(f"{status} ticket", "text", status=status, replies=1)
        e = _env(server, tmp_path, comments=mode)
        assert e.run().received == 3
        assert server.state.calls["comments"] == fetched
        e.store.close()


def test_malformed_export_page_is_quarantined_and_retried(env: Env) -> None:
    _seed(env.server, 3)
    env.server.faults.add("garbage", "/api/v2/incremental/")
    report = env.run()
    assert report.received == 3 and report.quarantined == 1
    with env.store.read() as db:
        reason = db.execute("SELECT reason FROM quarantine").fetchone()[0]
    assert reason.startswith("malformed export page")


def test_analysts_are_zendesk_agents(env: Env) -> None:
    people = {a.id: a.name for a in env.client.analysts()}
    assert people == {str(ADMIN_ID): "Ava Admin", str(AGENT_ID): "Kenji Agent"}
