"""Two analysts, two data dirs, one reference service in its own process: an incident
declared on one machine, worked offline there, is the same incident on the other after
sync; a field both change without seeing each other is a conflict on both, and on the
service (docs/incidents.md). Real client, real service; the service's state is read
through its own API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from rr_desktop.store import incident_log
from rr_desktop.store.actions import EscalateToIncident
from rr_desktop.store.timecodec import utcnow
from rr_desktop.store.triage_actions import apply_action
from tests.integration.desk import Desk, two_desks
from tests.peers.reference_service import ReferenceService

pytestmark = pytest.mark.slow

CHECKLIST = {
    "run": "run-1", "playbook": "dangerous_challenge", "title": "Dangerous challenge",
    "markets": ["ID"],
    "steps": [
        {"id": "scope", "title": "Scope the trend: hashtags, sounds, top uploads",
         "role": "analyst", "minutes": 30, "required": True, "evidence": "query list",
         "origin": "base"},
        {"id": "notice", "title": "Kominfo notice received", "role": "legal", "minutes": 10,
         "required": True, "evidence": "notice PDF", "origin": "ID"}],
    "clocks": [{"id": "id-urgent", "title": "Urgent removal (4 h)", "hours": 4,
                "market": "ID", "starts": "step:notice", "legal_confirm": True}]}


@pytest.fixture
def service() -> Iterator[ReferenceService]:
    svc = ReferenceService(count=60).start()
    yield svc
    svc.stop()


@pytest.fixture
def desks(tmp_path: Path, service: ReferenceService) -> Iterator[tuple[Desk, Desk]]:
    with two_desks(tmp_path, service) as pair:
        yield pair


def test_declared_and_worked_offline_on_one_desk_the_other_sees_it_all(
        desks: tuple[Desk, Desk], service: ReferenceService) -> None:
    a, b = desks
    ids = a.write(lambda db: [r[0] for r in db.execute(
        "SELECT id FROM escalation ORDER BY id LIMIT 2")])
    externals = a.write(lambda db: [r[0] for r in db.execute(
        "SELECT external_id FROM escalation ORDER BY id LIMIT 2")])
    a.write(lambda db: apply_action(db, EscalateToIncident(new_title="Blackout challenge"),
                                    ids, a.me, utcnow()))
    uid = a.write(lambda db: db.execute("SELECT uid FROM incident").fetchone()[0])
    a.append(uid, "playbook_start", CHECKLIST)
    assert a.sync().error is None
    assert service.get(f"/v1/incidents/{uid}")["title"] == "Blackout challenge"

    a.go_offline()
    a.append(uid, "step", {"run": "run-1", "step": "notice", "done": True,
                           "note": "received 09:12 WIB", "evidence": "kominfo-0412.pdf"})
    fact = a.append(uid, "fact", {"text": "Challenge reached 3 new sounds overnight"})
    report = a.sync()
    assert report.offline and report.error
    with a.store.read() as db:
        assert incident_log.pending_count(db) == 2
    seen_offline = a.state(uid)
    assert seen_offline.runs[0].steps[1].done and seen_offline.facts[0].uid == fact["uid"]

    a.go_online()
    assert a.sync().error is None
    served = service.get(f"/v1/incidents/{uid}")
    assert [s["done"] for s in served["runs"][0]["steps"]] == [False, True]
    assert [f["text"] for f in served["facts"]] == [fact["data"]["text"]]
    assert sorted(ln["external_id"] for ln in served["links"]) == sorted(externals)

    assert b.sync().error is None
    seen = b.state(uid)
    assert seen.title == "Blackout challenge"
    assert seen.runs[0].steps[1].done and seen.runs[0].steps[1].note == "received 09:12 WIB"
    assert [f.text for f in seen.facts] == ["Challenge reached 3 new sounds overnight"]
    clock = seen.runs[0].clocks[0]
    start = seen.runs[0].clock_start(clock, seen.declared_at)
    assert start is not None and start == seen.runs[0].steps[1].done_at
    # B's own copies of the linked escalations are in the incident
    linked = b.write(lambda db: sorted(r[0] for r in db.execute(
        "SELECT e.external_id FROM escalation e JOIN incident i ON i.id = e.incident_id "
        "WHERE i.uid = ?", (uid,))))
    assert linked == sorted(externals)
    assert b.state(uid).to_json() == a.state(uid).to_json()


def test_a_field_both_change_unseen_is_a_conflict_on_both_and_on_the_service(
        desks: tuple[Desk, Desk], service: ReferenceService) -> None:
    a, b = desks
    _, uid = a.write(lambda db: incident_log.declare(db, "Doxxing of a streamer", a.me,
                                                     utcnow(), severity="S2"))
    assert a.sync().error is None and b.sync().error is None
    base = b.state(uid).head("severity")
    assert base is not None and base == a.state(uid).head("severity")
    a.append(uid, "set", {"field": "severity", "value": "S0"}, base)
    b.append(uid, "set", {"field": "severity", "value": "S3"}, base)
    assert a.sync().error is None
    assert b.sync().error is None
    assert a.sync().error is None
    for desk in (a, b):
        conflict = desk.state(uid).conflict("severity")
        assert conflict is not None
        assert [(v[1], v[2]) for v in conflict.values] == [("S0", "a.tan"), ("S3", "b.s")]
        with desk.store.read() as db:
            assert db.execute("SELECT conflicts FROM incident WHERE uid = ?",
                              (uid,)).fetchone()[0] == 1
    assert service.get(f"/v1/incidents/{uid}")["conflicts"][0]["field"] == "severity"
    # B keeps A's value: an edit whose base is one of the conflicting events resolves it
    theirs = b.state(uid).conflict("severity")
    assert theirs is not None
    b.append(uid, "set", {"field": "severity", "value": "S0"}, theirs.values[0][0])
    assert b.sync().error is None and a.sync().error is None
    for desk in (a, b):
        settled = desk.state(uid)
        assert settled.conflicts == [] and settled.severity == "S0"
    assert service.get(f"/v1/incidents/{uid}")["conflicts"] == []


def test_a_service_that_lost_its_log_gets_ours_again(
        desks: tuple[Desk, Desk], service: ReferenceService) -> None:
    a, _ = desks
    _, uid = a.write(lambda db: incident_log.declare(db, "Takedown order", a.me,
                                                     utcnow() - timedelta(minutes=5)))
    a.append(uid, "fact", {"text": "Order 17/2026 received"})
    assert a.sync().error is None
    service.stop()
    service.start()  # an in-memory service restarted: its log is empty
    report = a.sync()
    assert report.error is None, report.error
    served = service.get(f"/v1/incidents/{uid}")
    assert [f["text"] for f in served["facts"]] == ["Order 17/2026 received"]
