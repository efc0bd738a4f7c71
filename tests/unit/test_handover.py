"""The shift handover pack from a scripted history across time zones: Wei (Singapore)
hands over to Siobhan (Dublin) on Wednesday 2026-11-25 at 17:30 Singapore time. Exact
items per section, the next shift's window, the Markdown/HTML forms (escaped), and the
next pack starting at the recorded handover."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rr_desktop.domain import Analyst, Channel, Fact, Priority, Severity, Status
from rr_desktop.domain.handover import next_shift, to_html, to_markdown, to_text
from rr_desktop.domain.roster_profile import AnalystProfile
from rr_desktop.domain.shift import ShiftSchedule
from rr_desktop.store import channel_state as cs
from rr_desktop.store import incident_log
from rr_desktop.store import triage_actions as ta
from rr_desktop.store.handover import build_pack, last_handover, record_handover
from rr_desktop.store.incidents import create_incident
from rr_desktop.store.ingest import merge_page
from rr_desktop.store.roster import save_profile, save_roster
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import to_epoch
from tests.factories import escalation, incoming

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # Wed: 17:30 Singapore, 09:30 Dublin
H = timedelta(hours=1)
SINGAPORE = ShiftSchedule.parse("Asia/Singapore", "Mon-Fri 09:00-18:00")
DUBLIN = ShiftSchedule.parse("Europe/Dublin", "Mon-Fri 09:00-17:00")
NEW_YORK = ShiftSchedule.parse("America/New_York", "Mon-Fri 09:00-17:00")
SIOBHAN_END = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 17:00 Dublin (UTC+0 in Nov)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "cache.sqlite3")
    yield s
    s.close()


def _seed(store: Store) -> dict[str, int]:
    recs = {
        "p0": escalation(status=Status.INVESTIGATING, assignee="wei", title="Live <b>attack</b>",
                         facts=(Fact(NOW - 5 * H, "Views passed 1M"),)),
        "p1": escalation(status=Status.TRIAGED, assignee="siobhan"),
        "p1_done": escalation(status=Status.RESOLVED, assignee="wei"),
        "risk": escalation(status=Status.TRIAGED, assignee="wei"),
        "breached": escalation(status=Status.NEW),
        "late": escalation(status=Status.TRIAGED),  # at risk only after Siobhan's shift
        "calm": escalation(status=Status.NEW),
    }
    with store.write() as db:
        cid = cs.ensure_channel(db, Channel("demo", "rr_api", {}))
        merge_page(db, cid, [incoming(r) for r in recs.values()], [], NOW - 30 * H)
        save_roster(db, [Analyst("wei", "Tan Wei"), Analyst("siobhan", "Siobhan Byrne"),
                         Analyst("ana", "Ana Ruiz"), Analyst("kofi", "Kofi Mensah")])
        for who, shift in (("wei", SINGAPORE), ("siobhan", DUBLIN), ("ana", NEW_YORK)):
            assert save_profile(db, who, AnalystProfile((), shift, None))
        ids = {k: int(db.execute("SELECT id FROM escalation WHERE external_id = ?",
                                 (r.external_id,)).fetchone()[0]) for k, r in recs.items()}
        for key, (pri, _risk, _due) in _sla().items():
            db.execute("UPDATE escalation SET priority = ? WHERE id = ?", (int(pri), ids[key]))
        inc = create_incident(db, "Coordinated re-uploads", "wei", NOW - 6 * H)
        closed = create_incident(db, "Old spam wave", "wei", NOW - 60 * H)
        db.execute("UPDATE incident SET status = 'closed' WHERE id = ?", (closed,))
        db.execute("UPDATE escalation SET incident_id = ? WHERE id IN (?, ?)",
                   (inc, ids["p0"], ids["risk"]))
        db.execute("UPDATE escalation SET incident_id = ? WHERE id = ?", (closed, ids["calm"]))
    return ids


def _sla() -> dict[str, tuple[Priority, int | None, int | None]]:
    """(priority, SLA at risk, SLA due) as scripted, set after the actions ran (a
    severity change recomputes the deadlines)."""
    n = to_epoch(NOW)
    return {
        "p0": (Priority.P0, n + 20 * 3600, n + 22 * 3600),
        "p1": (Priority.P1, None, None),
        "p1_done": (Priority.P1, None, None),
        "risk": (Priority.P2, n + 5 * 3600, n + 9 * 3600),  # at risk 14:30 UTC
        "breached": (Priority.P3, n - 7200, n - 3600),
        "late": (Priority.P3, n + int(7.75 * 3600), n + 10 * 3600),  # 17:15 UTC
        "calm": (Priority.P4, n + 30 * 3600, n + 40 * 3600),
    }


def _set_sla(store: Store, ids: dict[str, int]) -> None:
    with store.write() as db:
        for key, (_pri, risk, due) in _sla().items():
            db.execute("UPDATE escalation SET sla_risk_at = ?, sla_due_at = ? WHERE id = ?",
                       (risk, due, ids[key]))


def _act(store: Store, action: ta.TriageAction, ids: list[int], who: str, at: datetime) -> None:
    with store.write() as db:
        result = ta.apply_action(db, action, ids, who, at)
    assert result.changed_ids or isinstance(action, ta.AddNote | ta.LogFact)


def test_next_shift_is_dublin_until_its_end() -> None:
    shifts = [("wei", "Tan Wei", SINGAPORE), ("siobhan", "Siobhan Byrne", DUBLIN),
              ("ana", "Ana Ruiz", NEW_YORK)]
    nxt = next_shift(NOW, "wei", shifts)
    assert (nxt.analyst_id, nxt.zone, nxt.until) == ("siobhan", "Europe/Dublin", SIOBHAN_END)
    # Without Dublin, New York comes on first (14:00 UTC) and works to 22:00 UTC.
    assert next_shift(NOW, "wei", shifts[::2]).until == datetime(2026, 11, 25, 22, 0,
                                                                   tzinfo=UTC)
    # Nobody else with hours: the next 8 hours.
    assert next_shift(NOW, "wei", shifts[:1]).until == NOW + 8 * H


def test_pack_sections_from_a_scripted_history(store: Store) -> None:
    ids = _seed(store)
    # Earlier in Wei's shift, before any handover was recorded (the last 24 hours):
    _act(store, ta.SetSeverity(Severity.S0), [ids["risk"]], "wei", NOW - 3 * H)
    _act(store, ta.AddNote("Partner confirmed takedown <script>"), [ids["p0"]], "wei",
         NOW - 2 * H)
    _act(store, ta.AddNote("Siobhan's own note"), [ids["p1"]], "siobhan", NOW - 2 * H)
    _act(store, ta.LogFact("Re-uploads down to 3/hour"), [ids["risk"]], "wei", NOW - H)
    _act(store, ta.Accept(), [ids["calm"]], "wei", NOW - 30 * H)  # before the 24 hours
    _set_sla(store, ids)
    with store.read() as db:
        pack = build_pack(db, "wei", NOW)
    ref = {k: db_ref(store, v) for k, v in ids.items()}
    assert not pack.since_recorded and pack.since == NOW - 24 * H
    assert pack.next_shift.analyst_id == "siobhan" and pack.next_shift.until == SIOBHAN_END
    # Wei's S0 raised "risk" to P0: it is urgent now; the resolved P1 is not.
    assert [i.ref for i in pack.urgent] == [ref["p0"], ref["risk"], ref["p1"]]
    # Breached first; then at risk before 17:00 Dublin. "late" turns at risk at 17:15
    # UTC: inside 8 hours, outside Siobhan's shift, so not listed.
    assert [i.ref for i in pack.sla] == [ref["breached"], ref["risk"]]
    assert pack.sla[0].note.startswith("breached since")
    assert pack.sla[1].note == "at risk from 2026-11-25 14:30 UTC, due 2026-11-25 18:30 UTC"
    [incident] = pack.incidents
    assert incident.title == "Coordinated re-uploads"
    assert incident.facts == (
        (ref["p0"], "Live <b>attack</b>", "Views passed 1M (2026-11-25 04:30 UTC)"),
        (ref["risk"], db_title(store, ids["risk"]),
         "Re-uploads down to 3/hour (2026-11-25 08:30 UTC)"))
    assert [(c.ref, c.field, c.old, c.new, c.who) for c in pack.changes] == [
        (ref["risk"], "severity", "S1", "S0", "wei"),
        (ref["risk"], "priority", "P2", "P0", "wei")]
    assert [(n.ref, n.text) for n in pack.notes] == [
        (ref["p0"], "Partner confirmed takedown <script>")]
    # The text forms: escaped, every section there.
    html = to_html(pack)
    assert "Live &lt;b&gt;attack&lt;/b&gt;" in html and "<script>" not in html
    md = to_markdown(pack)
    assert "Live \\<b\\>attack" in md and "## Open P0/P1 items" in md
    text = to_text(pack)
    assert "Next shift: Siobhan Byrne (Europe/Dublin), on shift until 2026-11-25 17:00 UTC" \
        in text


def test_the_next_pack_starts_at_the_recorded_handover(store: Store) -> None:
    ids = _seed(store)
    _act(store, ta.AddNote("Before the handover"), [ids["p0"]], "wei", NOW - H)
    with store.write() as db:
        record_handover(db, build_pack(db, "wei", NOW), "wei")
    later = NOW + 2 * H
    _act(store, ta.AddNote("After the handover"), [ids["p0"]], "wei", later - H)
    _act(store, ta.Accept(), [ids["calm"]], "wei", later - H)
    with store.read() as db:
        assert last_handover(db) == NOW
        pack = build_pack(db, "wei", later)
        audit = db.execute("SELECT actor FROM audit_log WHERE action = 'handover.recorded'"
                           ).fetchall()
    assert pack.since_recorded and pack.since == NOW
    assert [n.text for n in pack.notes] == ["After the handover"]
    assert [(c.field, c.old, c.new) for c in pack.changes] == [("status", "new", "triaged")]
    assert audit == [("wei",)]


def test_a_note_in_the_recorded_second_is_not_lost(store: Store) -> None:
    """Times are whole seconds: a note written in the second the pack was built, after
    it was built, belongs to the next pack (listed twice at worst, never dropped)."""
    ids = _seed(store)
    with store.write() as db:
        record_handover(db, build_pack(db, "wei", NOW), "wei")
    _act(store, ta.AddNote("Written as the pack went out"), [ids["p0"]], "wei", NOW)
    with store.read() as db:
        pack = build_pack(db, "wei", NOW + H)
    assert [n.text for n in pack.notes] == ["Written as the pack went out"]


def db_ref(store: Store, esc_id: int) -> str:
    with store.read() as db:
        return str(db.execute("SELECT external_id FROM escalation WHERE id = ?",
                              (esc_id,)).fetchone()[0])


def db_title(store: Store, esc_id: int) -> str:
    with store.read() as db:
        return str(db.execute("SELECT title FROM escalation WHERE id = ?",
                              (esc_id,)).fetchone()[0])


def test_the_pack_lists_unanswered_stakeholder_requests_blocking_and_overdue_first(
        store: Store) -> None:
    _seed(store)
    with store.write() as db:
        uid = db.execute("SELECT uid FROM incident WHERE status != 'closed'").fetchone()[0]

        def ask(rid: str, function: str, due: datetime | None, blocking: bool) -> None:
            incident_log.append(db, uid, "request", "wei", NOW - 4 * H, {
                "request": rid, "function": function, "asked_of": "on-call",
                "question": f"{function} <b>question</b>", "blocking": blocking,
                "due": "" if due is None else due.strftime("%Y-%m-%dT%H:%M:%SZ")})

        ask("r-later", "Comms", NOW + 5 * H, False)
        ask("r-answered", "Product", NOW - H, True)
        ask("r-late", "Legal", NOW - H, True)
        ask("r-open", "Public Policy", None, True)
        incident_log.append(db, uid, "request_update", "wei", NOW - 2 * H, {
            "request": "r-answered", "status": "answered", "answer": "Shipped the fix"})
        incident_log.append(db, uid, "role", "wei", NOW - 5 * H, {
            "role": "commander", "analyst": "wei", "assume": True})
        pack = build_pack(db, "wei", NOW)
    assert [r.function for r in pack.requests] == ["Legal", "Public Policy", "Comms"]
    [incident] = pack.incidents
    assert (incident.status, incident.commanders) == ("active", ("wei",))
    text = to_text(pack)
    assert "Pending stakeholder requests (3)" in text
    assert ("Legal (on-call): Legal <b>question</b> (BLOCKING, OVERDUE since "
            "2026-11-25 08:30 UTC") in text
    assert "(active, commander wei)" in text
    assert "Legal &lt;b&gt;question" in to_html(pack)
