"""Notes and replies pushed through the real sync engine and `rr_api` client to the
reference service in its own process; the server's state is asserted through its API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.domain import Channel, Severity, Urgency
from rr_desktop.store import channel_state as cs
from rr_desktop.store import outbox as ob
from rr_desktop.store import triage_actions as ta
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import utcnow
from rr_desktop.sync.engine import SyncEngine
from tests.peers.reference_service import ReferenceService


@pytest.fixture(scope="module")
def service() -> Iterator[ReferenceService]:
    with ReferenceService(count=300) as svc:
        yield svc


def _synced(service: ReferenceService, path: Path) -> tuple[Store, SyncEngine]:
    store = Store.open(path / "cache.sqlite3")
    with store.write() as db:
        cs.ensure_channel(db, Channel("ref", "rr_api", {"base_url": service.url}))
    engine = SyncEngine(store, {"ref": RrApiChannel("ref", service.url, service.token)})
    report = engine.run("ref")
    assert report.error is None, report.error
    return store, engine


def _local_id(store: Store, external_id: str) -> int:
    with store.read() as db:
        return int(db.execute("SELECT id FROM escalation WHERE external_id = ?",
                              (external_id,)).fetchone()[0])


@pytest.mark.parametrize("kind", ["reply", "note"])
def test_a_message_reaches_the_service_once(service: ReferenceService, tmp_path: Path,
                                            kind: str) -> None:
    store, engine = _synced(service, tmp_path)
    try:
        external_id = service.ids(50)[7 if kind == "reply" else 8]
        before = len(service.replies(external_id) if kind == "reply"
                     else service.notes(external_id))
        text = f"Thanks, we are on it ({kind}) \u0e02\u0e2d\u0e1a\u0e04\u0e38\u0e13"
        with store.write() as db:
            ob.record_message(db, _local_id(store, external_id), kind, text, "aditi",
                              utcnow())
        report = engine.run("ref")
        assert report.error is None and report.dead == 0, report.summary()
        assert report.pushed == 1
        # The pane of the item redraws: its message no longer waits to sync.
        assert report.delivered_ids == {_local_id(store, external_id)}
        engine.run("ref")  # a second run sends nothing again
        held = service.replies(external_id) if kind == "reply" else service.notes(external_id)
        assert len(held) == before + 1
        assert held[-1]["text"] == text and held[-1]["author"] == "aditi"
        with store.read() as db:
            assert db.execute("SELECT state FROM outbox").fetchall() == [("done",)]
    finally:
        store.close()


def _apply(store: Store, action: ta.TriageAction, external_ids: list[str]) -> None:
    with store.write() as db:
        ids = [int(db.execute("SELECT id FROM escalation WHERE external_id = ?",
                              (e,)).fetchone()[0]) for e in external_ids]
        result = ta.apply_action(db, action, ids, "aditi", utcnow())
    assert all(o.ok for o in result.outcomes), result.outcomes


def test_every_change_the_platform_takes_arrives_once(service: ReferenceService,
                                                     tmp_path: Path) -> None:
    """The push matrix row of the platform's service, end to end: each triage change goes
    through the real engine and client to the service in its own process, which holds it
    afterwards, applied once; what no source receives (snooze, queue) never leaves."""
    store, engine = _synced(service, tmp_path)
    try:
        fresh = [r for r in service.get("/v1/escalations", limit=1000)["items"]
                 if r["status"] == "new"]
        # d's severity and urgency must change: an item the day made S0/U0 already
        # would send nothing (the demo's newest items depend on the hour).
        d = next(r["id"] for r in reversed(fresh) if (r["severity"], r["urgency"]) != ("S0", "U0"))
        a, b, c, e, f = [r["id"] for r in fresh if r["id"] != d][-5:]
        _apply(store, ta.Accept(), [a])
        _apply(store, ta.Decline("No policy violation: satire"), [b])
        _apply(store, ta.MarkDuplicate(_local_id(store, a), "Same clip, re-upload"), [c])
        _apply(store, ta.SetSeverity(Severity.S0), [d])
        _apply(store, ta.SetUrgency(Urgency.U0), [d])
        _apply(store, ta.Assign("budi"), [e])
        _apply(store, ta.Tag(add=("livestream", "viral")), [e])
        _apply(store, ta.LogFact("Re-uploaded 40 times in the last hour"), [f])
        _apply(store, ta.Snooze(utcnow() + timedelta(hours=4), "waiting for Legal"), [f])
        _apply(store, ta.MoveQueue("legal-review"), [f])
        report = engine.run("ref")
        assert report.error is None and report.dead == 0 and report.conflicts == 0
        engine.run("ref")  # nothing is sent twice
        assert service.record(a)["status"] == "triaged"
        declined = service.record(b)
        assert (declined["status"], declined["status_reason"]) == (
            "declined", "No policy violation: satire")
        dup = service.record(c)
        assert (dup["status"], dup["duplicate_of"], dup["status_reason"]) == (
            "duplicate", a, "Same clip, re-upload")
        assert (service.record(d)["severity"], service.record(d)["urgency"]) == ("S0", "U0")
        assert service.record(e)["assignee"] == "budi"
        assert {"livestream", "viral"} <= set(service.record(e)["tags"])
        facts = service.record(f)["facts"]
        assert [x["text"] for x in facts].count("Re-uploaded 40 times in the last hour") == 1
        assert facts[-1]["author"] == "aditi"
        # Edits of one item made before a sync coalesce into one write.
        for ext, writes in ((a, 1), (b, 1), (c, 1), (d, 1), (e, 1), (f, 1)):
            history = service.get(f"/v1/escalations/{ext}/history")["items"]
            assert len([h for h in history if h["kind"] in ("patch", "fact")]) == writes, ext
        with store.read() as db:
            states = {r[0] for r in db.execute("SELECT state FROM outbox")}
            local = db.execute("SELECT snoozed_until IS NOT NULL, queue FROM escalation "
                               "WHERE external_id = ?", (f,)).fetchone()
        assert states == {"done"} and local == (1, "legal-review")
    finally:
        store.close()




def test_the_roster_is_loaded_from_the_service(service: ReferenceService,
                                               tmp_path: Path) -> None:
    """The analysts the service lists become the roster (the identity choice and the
    assignment picker read it); the next runs leave it alone until it is due again."""
    store, engine = _synced(service, tmp_path)
    try:
        served = {a["id"]: a for a in service.get("/v1/analysts")["items"]}
        with store.read() as db:
            cached = {r[0]: r for r in db.execute(
                "SELECT id, name, languages, markets FROM analyst")}
        assert set(cached) == set(served) and len(served) >= 12
        tan = cached["a.tan"]
        assert (tan[1], tan[2].split(), tan[3].split()) == (
            served["a.tan"]["name"], served["a.tan"]["languages"], served["a.tan"]["markets"])
        assert engine.run("ref").roster_changed == 0
    finally:
        store.close()
