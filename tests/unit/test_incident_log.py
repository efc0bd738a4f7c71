"""The cache's incident logs (store/incident_log.py, docs/incidents.md): `f` declares and
links through events, undo takes back what nobody saw, a move unlinks and links, events
from the service merge in (ours get their seq, theirs link escalations this cache holds),
conflicts show, and caches from before 0007 keep their incidents."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from rr_desktop.domain import Channel
from rr_desktop.domain.incident_events import new_event
from rr_desktop.store import channel_state as cs
from rr_desktop.store import incident_log
from rr_desktop.store.actions import EscalateToIncident
from rr_desktop.store.ingest import merge_page
from rr_desktop.store.store import Store
from rr_desktop.store.triage_actions import apply_action
from rr_desktop.store.undo import redo, undo
from tests.factories import T0, escalation, incoming
from tests.migrated import cache_at_revision

NOW = T0 + timedelta(hours=2)
SOURCE = "rr_api:http://svc.example/api"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "cache.sqlite3")
    yield s
    s.close()


def _seed(store: Store, n: int = 3) -> list[int]:
    recs = [escalation(title=f"Clip {i}") for i in range(n)]
    with store.write() as db:
        cid = cs.ensure_channel(db, Channel("Platform queue", "rr_api",
                                            {"base_url": "http://svc.example/api/"}))
        merge_page(db, cid, [incoming(r) for r in recs], [], NOW)
        return [int(r[0]) for r in db.execute("SELECT id FROM escalation ORDER BY id")]


def _kinds(db: sqlite3.Connection, uid: str) -> list[tuple[str, str]]:
    return [(k, s) for k, s in db.execute(
        "SELECT kind, state FROM incident_event WHERE incident_uid = ? ORDER BY n", (uid,))]


def test_f_declares_and_links_through_pending_events_and_undo_takes_them_back(
        store: Store) -> None:
    ids = _seed(store)
    with store.write() as db:
        result = apply_action(db, EscalateToIncident(new_title="Attack clips"), ids[:2],
                              "aiko", NOW)
        assert result.changed_ids == frozenset(ids[:2])
        iid, uid = db.execute("SELECT id, uid FROM incident").fetchone()
        assert _kinds(db, uid) == [("declare", "pending"), ("link", "pending"),
                                   ("link", "pending")]
        state = incident_log.state(db, uid)
        assert state.title == "Attack clips" and state.status == "active"
        assert {(ln.source, ln.title) for ln in state.links} == {(SOURCE, "Clip 0"),
                                                                 (SOURCE, "Clip 1")}
    with store.write() as db:
        assert undo(db, "aiko", NOW) is not None
        assert db.execute("SELECT count(*) FROM incident").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM incident_event").fetchone()[0] == 0
    with store.write() as db:
        assert redo(db, "aiko", NOW) is not None
        assert db.execute("SELECT id, uid FROM incident").fetchone() == (iid, uid)
        assert len(incident_log.state(db, uid).links) == 2


def test_moving_an_escalation_unlinks_it_from_one_log_and_links_it_to_the_other(
        store: Store) -> None:
    ids = _seed(store)
    with store.write() as db:
        apply_action(db, EscalateToIncident(new_title="First"), ids[:1], "aiko", NOW)
        apply_action(db, EscalateToIncident(new_title="Second"), ids[1:2], "aiko", NOW)
        first, second = db.execute("SELECT id, uid FROM incident ORDER BY id").fetchall()
        apply_action(db, EscalateToIncident(incident_id=second[0]), ids[:1], "aiko", NOW)
        assert [k for k, _ in _kinds(db, first[1])] == ["declare", "link", "unlink"]
        assert incident_log.state(db, first[1]).links == []
        assert len(incident_log.state(db, second[1]).links) == 2


def _remote(uid: str, kind: str, seq: int, data: dict[str, Any], base: str | None = None,
            minutes: int = 0) -> dict[str, Any]:
    event = new_event(uid, kind, "mei", NOW + timedelta(minutes=minutes), data, base)
    return {**event, "seq": seq}


def test_events_from_the_service_link_escalations_this_cache_holds(store: Store) -> None:
    ids = _seed(store)
    declare = _remote("inc-9", "declare", 1, {"title": "Doxxing wave", "type": "doxxing",
                                               "severity": "S1", "priority": "P1",
                                               "markets": ["PH"], "summary": ""})
    with store.write() as db:
        ext = db.execute("SELECT external_id FROM escalation WHERE id = ?",
                         (ids[2],)).fetchone()[0]
        link = _remote("inc-9", "link", 2, {"source": SOURCE, "external_id": ext,
                                            "title": "Clip 2", "category": "", "market": "",
                                            "reported_at": ""}, minutes=1)
        elsewhere = _remote("inc-9", "link", 3, {"source": "zendesk:https://x.zendesk.com",
                                                 "external_id": "77", "title": "Ticket 77",
                                                 "category": "", "market": "PH",
                                                 "reported_at": ""}, minutes=2)
        broken = {**_remote("inc-9", "fact", 4, {"text": "x"}), "kind": "teleport"}
        touched, changed, problems = incident_log.merge_pulled(
            db, [declare, link, elsewhere, broken], 1)
        assert touched == {"inc-9"} and changed == frozenset({ids[2]})
        assert len(problems) == 1 and "Unknown event kind" in problems[0]
        iid = incident_log.id_of(db, "inc-9")
        assert db.execute("SELECT incident_id FROM escalation WHERE id = ?",
                          (ids[2],)).fetchone()[0] == iid
        assert db.execute("SELECT title, severity, markets FROM incident WHERE id = ?",
                          (iid,)).fetchone() == ("Doxxing wave", "S1", "PH")
        assert len(incident_log.state(db, "inc-9").links) == 2  # one not in this cache
        # pulling the same page again changes nothing
        assert incident_log.merge_pulled(db, [declare, link], 1)[0] == set()


def test_our_events_come_back_with_their_seq_and_a_concurrent_edit_is_a_conflict(
        store: Store) -> None:
    _seed(store)
    with store.write() as db:
        iid, uid = incident_log.declare(db, "Challenge surge", "aiko", NOW, severity="S2")
        pushed = incident_log.pending(db)
        assert [e["kind"] for e in pushed] == ["declare"]
        incident_log.mark_pushed(db, {**pushed[0], "seq": 10}, 1)
        base = incident_log.state(db, uid).head("severity")
        mine = incident_log.append(db, uid, "set", "aiko", NOW + timedelta(minutes=5),
                                   {"field": "severity", "value": "S0"}, base)
        theirs = _remote(uid, "set", 11, {"field": "severity", "value": "S3"}, base, minutes=4)
        incident_log.merge_pulled(db, [theirs], 1)
        state = incident_log.state(db, uid)
        conflict = state.conflict("severity")
        assert conflict is not None
        assert [v[1] for v in conflict.values] == ["S3", "S0"]  # theirs came first
        assert db.execute("SELECT conflicts, severity FROM incident WHERE id = ?",
                          (iid,)).fetchone() == (1, "S3")
        incident_log.merge_pulled(db, [{**mine, "seq": 12}], 1)
        assert db.execute("SELECT state, seq FROM incident_event WHERE uid = ?",
                          (mine["uid"],)).fetchone() == ("sent", 12)
        assert incident_log.pending_count(db) == 0


def test_a_refused_event_is_set_aside_not_folded(store: Store) -> None:
    with store.write() as db:
        _, uid = incident_log.declare(db, "Takedown order", "aiko", NOW)
        fact = incident_log.append(db, uid, "fact", "aiko", NOW, {"text": "Order received"})
        assert incident_log.mark_failed(db, fact["uid"], "timed out", rejected=False) == uid
        assert incident_log.pending_count(db) == 2
        incident_log.mark_failed(db, fact["uid"], "The service refused it.", rejected=True)
        assert incident_log.state(db, uid).facts == []
        assert incident_log.rejected(db) == [(fact["uid"], "Takedown order", "fact",
                                              "The service refused it.")]


def test_a_0006_cache_keeps_its_incidents_as_pending_logs(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    cache_at_revision(path, "0006")
    db = sqlite3.connect(path)
    db.execute("INSERT INTO channel (id, name, kind, config) VALUES "
               "(1, 'Queue', 'rr_api', '{\"base_url\": \"http://svc.example/api\"}')")
    db.execute("INSERT INTO incident (id, title, status, created_at, created_by) VALUES "
               "(4, 'Old wave', 'open', 1764000000, 'wei'), "
               "(5, 'Done wave', 'closed', 1764000000, 'wei')")
    for n, inc in ((1, 4), (2, 4), (3, None)):
        db.execute("INSERT INTO escalation (id, channel_id, external_id, remote_version, "
                   "payload_hash, title, body, status, created_at, updated_at, synced_at, "
                   "incident_id, severity, urgency, priority, category, market, region, reporter, "
                   "reporter_type, language) VALUES (?, 1, ?, 1, 'h', ?, '', 'new', "
                   "1764000000, 1764000000, 1764000000, ?, 2, 2, 2, 'spam', 'SG', 'APAC', 'r', "
                   "'user', 'en')", (n, f"E-{n}", f"Esc {n}", inc))
    db.commit()
    db.close()
    store = Store.open(path)
    try:
        with store.write() as w:
            rows = w.execute("SELECT id, status, uid FROM incident ORDER BY id").fetchall()
            assert [(i, s) for i, s, _ in rows] == [(4, "active"), (5, "closed")]
            uid = rows[0][2]
            bodies = [json.loads(b) for (b,) in w.execute(
                "SELECT body FROM incident_event WHERE incident_uid = ? ORDER BY n", (uid,))]
            assert [b["kind"] for b in bodies] == ["declare", "link", "link"]
            state = incident_log.state(w, uid)
            assert state.title == "Old wave" and not state.problems
            assert {ln.external_id for ln in state.links} == {"E-1", "E-2"}
            assert {ln.source for ln in state.links} == {SOURCE}
            assert incident_log.state(w, rows[1][2]).status == "closed"
            # the refold agrees with the column: nothing moves
            assert incident_log.refresh(w, uid)[1] == frozenset()
    finally:
        store.close()
