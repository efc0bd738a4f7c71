"""Triage actions: per-item outcomes, outbox and audit, reasons, undo/redo of whole batches."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from rr_desktop.domain import Channel, Severity, Status, Urgency
from rr_desktop.domain.push import Push
from rr_desktop.store import channel_state as cs
from rr_desktop.store import outbox as ob
from rr_desktop.store import triage_actions as ta
from rr_desktop.store import undo
from rr_desktop.store.ingest import merge_page
from rr_desktop.store.store import Store
from rr_desktop.store.triage_queries import escalation_detail
from tests.factories import T0, escalation, incoming

NOW = T0 + timedelta(hours=2)
ME = "a.tan"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "cache.sqlite3")
    yield s
    s.close()


def seed(store: Store, n: int, **overrides: Any) -> list[int]:
    """`n` cached escalations, created an hour before T0 (well before NOW)."""
    overrides.setdefault("created_at", T0 - timedelta(hours=1))
    overrides.setdefault("updated_at", T0 - timedelta(hours=1))
    with store.write() as db:
        cid = cs.ensure_channel(db, Channel("demo", "rr_api", {}))
        merge_page(db, cid, [incoming(escalation(**overrides)) for _ in range(n)], [], T0)
        return [r[0] for r in db.execute("SELECT id FROM escalation ORDER BY id")][-n:]


def apply(store: Store, action: ta.TriageAction, ids: list[int]) -> ta.ApplyResult:
    with store.write() as db:
        return ta.apply_action(db, action, ids, ME, NOW)


def rows(store: Store, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Every column of the escalations, except the ones the sync bookkeeping owns."""
    with store.read() as db:
        cur = db.execute(f"SELECT * FROM escalation WHERE id IN ({','.join('?' * len(ids))})",
                         ids)
        names = [d[0] for d in cur.description]
        return {r[0]: dict(zip(names, r, strict=True)) for r in cur}


def pending(db: sqlite3.Connection) -> list[tuple[int, dict[str, Any], dict[str, Any]]]:
    return [(r[0], json.loads(r[1]), json.loads(r[2])) for r in db.execute(
        "SELECT escalation_id, payload, base FROM outbox WHERE op_type = 'update' "
        "AND state = 'pending' ORDER BY seq")]


def count(store: Store, table: str) -> int:
    with store.read() as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.mark.parametrize(("action", "column", "value"), [
    (ta.Accept(), "status", "triaged"),
    (ta.Decline("spam, not a policy violation"), "status", "declined"),
    (ta.Resolve(), "status", "resolved"),
    (ta.SetSeverity(Severity.S0), "severity", 0),
    (ta.SetUrgency(Urgency.U3), "urgency", 3),
    (ta.Assign("b.lee"), "assignee", "b.lee"),
    (ta.Tag(add=("viral",), remove=("livestream",)), "tags", "viral"),
])
def test_source_fields_change_locally_go_to_the_outbox_and_are_audited(
        store: Store, action: ta.TriageAction, column: str, value: object) -> None:
    [esc] = seed(store, 1)
    result = apply(store, action, [esc])
    assert result.changed_ids == {esc} and result.undo_id is not None
    assert result.outcomes == (ta.ActionOutcome(esc, True, result.outcomes[0].message, True),)
    assert rows(store, [esc])[esc][column] == value
    with store.read() as db:
        [(op_esc, payload, _)] = pending(db)
        assert op_esc == esc and column in payload
        decisions = db.execute("SELECT actor, detail FROM audit_log WHERE action = ?",
                               (f"triage.{action.kind}",)).fetchall()
        assert len(decisions) == 1 and decisions[0][0] == ME


@pytest.mark.parametrize(("action", "column", "value"), [
    (ta.Snooze(NOW + timedelta(hours=4), "waiting for the partner's answer"), "snoozed_until",
     int((NOW + timedelta(hours=4)).timestamp())),
    (ta.MoveQueue("legal-review"), "queue", "legal-review"),
    (ta.EscalateToIncident(None, "Livestreamed attack, Jakarta"), "incident_id", 1),
])
def test_local_fields_never_reach_the_outbox(store: Store, action: ta.TriageAction,
                                             column: str, value: object) -> None:
    [esc] = seed(store, 1)
    result = apply(store, action, [esc])
    assert result.changed_ids == {esc}
    row = rows(store, [esc])[esc]
    assert row[column] == value and row["status"] == "new"  # snooze keeps the status
    with store.read() as db:
        assert pending(db) == []
        event = db.execute("SELECT field, source FROM escalation_event WHERE "
                           "escalation_id = ? AND field = ?", (esc, column)).fetchone()
        assert event == (column, "local")


def test_duplicate_sets_status_and_canonical_following_its_chain(store: Store) -> None:
    root, middle, a, b = seed(store, 4)
    apply(store, ta.MarkDuplicate(root, "same clip"), [middle])
    result = apply(store, ta.MarkDuplicate(middle, "same clip, other channel"), [a, b, root])
    by_id = {o.escalation_id: o for o in result.outcomes}
    assert not by_id[root].ok and "canonical" in by_id[root].message
    got = rows(store, [a, b])
    assert {got[a]["duplicate_of"], got[b]["duplicate_of"]} == {root}  # not `middle`
    assert {got[a]["status"], got[b]["status"]} == {"duplicate"}
    with store.read() as db:
        assert {p["status"] for _, p, _ in pending(db)} == {"duplicate"}
        assert "duplicate_of" not in json.dumps(pending(db))


def test_notes_replies_and_facts(store: Store) -> None:
    [esc] = seed(store, 1)
    apply(store, ta.AddNote("Checked with Legal"), [esc])
    apply(store, ta.Reply("Thanks, we are on it"), [esc])
    apply(store, ta.LogFact("Views passed 1M"), [esc])
    with store.read() as db:
        ops = [r[0] for r in db.execute("SELECT op_type FROM outbox ORDER BY seq")]
        events = db.execute("SELECT e.kind, e.new, o.op_type FROM escalation_event e "
                            "LEFT JOIN outbox o ON o.op_id = e.op_id ORDER BY e.id").fetchall()
    assert ops == ["note", "reply", "fact"]  # a source that takes everything gets all three
    assert events == [("note", "Checked with Legal", "note"),
                      ("reply", "Thanks, we are on it", "reply"),
                      ("fact", "Views passed 1M", "fact")]


def test_what_a_source_cannot_receive_stays_local_or_is_refused(store: Store) -> None:
    """A channel whose source takes status changes and their reasons only (a news feed
    takes nothing at all): the rest of a change stays on this machine, with timeline
    events that say so (no op), and a reply it cannot receive is refused with a sentence,
    writing nothing."""
    [esc] = seed(store, 1)
    with store.write() as db:
        cs.set_pushes(db, 1, [Push.STATUS, Push.STATUS_REASON])
    apply(store, ta.SetSeverity(Severity.S0), [esc])
    apply(store, ta.Decline("No policy violation"), [esc])
    apply(store, ta.AddNote("Checked with Legal"), [esc])
    apply(store, ta.LogFact("Views passed 1M"), [esc])
    before = count(store, "escalation_event")
    refused = apply(store, ta.Reply("Thanks"), [esc])
    assert not refused.outcomes[0].ok and "cannot send replies" in refused.outcomes[0].message
    assert count(store, "escalation_event") == before
    with store.read() as db:
        ops = db.execute("SELECT op_type, payload, context FROM outbox").fetchall()
        events = db.execute("SELECT kind, field, op_id IS NOT NULL FROM escalation_event "
                            "ORDER BY id").fetchall()
    assert [(t, json.loads(p), json.loads(c)) for t, p, c in ops] == [
        ("update", {"status": "declined"}, {"status_reason": "No policy violation"})]
    assert events == [("field_change", "severity", 0), ("field_change", "priority", 0),
                      ("field_change", "status", 1), ("note", None, 0), ("fact", None, 0)]
    assert rows(store, [esc])[esc]["severity"] == 0  # still changed here


def test_a_duplicate_tells_its_source_which_item_it_duplicates(store: Store) -> None:
    canonical, dupe = seed(store, 2)
    with store.write() as db:
        other = cs.ensure_channel(db, Channel("mail", "email", {}))
        merge_page(db, other, [incoming(escalation())], [], T0)
        elsewhere = db.execute("SELECT max(id) FROM escalation").fetchone()[0]
        ext = db.execute("SELECT external_id FROM escalation WHERE id = ?",
                         (canonical,)).fetchone()[0]
    apply(store, ta.MarkDuplicate(canonical, "same clip"), [dupe, elsewhere])
    with store.read() as db:
        contexts = dict(db.execute("SELECT escalation_id, context FROM outbox"))
    assert json.loads(contexts[dupe]) == {"duplicate_of": ext, "status_reason": "same clip"}
    # Another source's id would mean nothing to the mail server: only the reason goes.
    assert json.loads(contexts[elsewhere]) == {"status_reason": "same clip"}


def test_the_timeline_tells_whether_the_canonical_went_with_the_duplicate(
        store: Store) -> None:
    """Where the source takes the canonical (with the status "duplicate"), its timeline
    event follows the op that carries it; where it does not, it stays on this machine."""
    canonical, sent, kept = seed(store, 3)
    with store.write() as db:
        cs.set_pushes(db, 1, [p.value for p in Push])
    apply(store, ta.MarkDuplicate(canonical, "same clip"), [sent])
    with store.write() as db:
        cs.set_pushes(db, 1, [Push.STATUS])
    apply(store, ta.MarkDuplicate(canonical, "same clip"), [kept])
    with store.read() as db:
        delivery = {
            (esc, field): state for esc, field, state in db.execute(
                "SELECT e.escalation_id, e.field, CASE WHEN e.op_id IS NULL THEN 'local' "
                "ELSE o.state END FROM escalation_event e LEFT JOIN outbox o "
                "ON o.op_id = e.op_id WHERE e.field IN ('status', 'duplicate_of')")}
        detail = escalation_detail(db, kept)
    assert delivery == {(sent, "status"): "pending", (sent, "duplicate_of"): "pending",
                        (kept, "status"): "pending", (kept, "duplicate_of"): "local"}
    assert detail is not None
    status = next(e for e in detail.timeline if e.field == "status")
    assert status.delivery_text() == "waiting to sync; the reason stays on this machine"


@pytest.mark.parametrize("action", [
    ta.Decline(""), ta.Decline("   "), ta.MarkDuplicate(1, ""),
    ta.Snooze(NOW + timedelta(hours=1), " "),
    ta.Snooze(NOW - timedelta(minutes=1), "later"), ta.AddNote("  "), ta.Reply(""),
    ta.MarkDuplicate(999, "same"), ta.EscalateToIncident(None, None),
    ta.EscalateToIncident(42, None), ta.Tag(), ta.Tag(add=("two words",)), ta.MoveQueue(""),
])
def test_invalid_input_raises_a_sentence_before_anything_is_written(
        store: Store, action: ta.TriageAction) -> None:
    ids = seed(store, 3)
    tables = ("outbox", "escalation_event", "audit_log", "undo_batch", "incident")
    before = {t: count(store, t) for t in tables}
    with pytest.raises(ValueError) as exc, store.write() as db:
        ta.apply_action(db, action, ids, ME, NOW)
    message = str(exc.value)
    assert message[0].isupper() and message.endswith(".")
    assert {t: count(store, t) for t in tables} == before


def test_reason_is_required_to_decline() -> None:
    with pytest.raises(ValueError, match="reason is required to decline"):
        ta.Decline("").validate(sqlite3.connect(":memory:"), NOW)


def test_batch_of_100_with_a_missing_id_reports_per_item(store: Store) -> None:
    ids = seed(store, 100)
    apply(store, ta.Resolve(), ids[:1])  # one is already resolved
    result = apply(store, ta.Decline("duplicate report of a known trend"), [*ids, 10**9])
    assert len(result.outcomes) == 101
    by_id = {o.escalation_id: o for o in result.outcomes}
    assert by_id[10**9] == ta.ActionOutcome(10**9, False, "not in the cache")
    assert not by_id[ids[0]].ok and by_id[ids[0]].message == "already resolved"
    assert result.changed_ids == set(ids[1:])
    assert result.description == "Declined 99 escalations; 2 not changed"
    with store.read() as db:
        decisions = db.execute("SELECT escalation_id, detail FROM audit_log "
                               "WHERE action = 'triage.decline'").fetchall()
        assert len(decisions) == 99
        assert {json.loads(d)["reason"] for _, d in decisions} == \
            {"duplicate report of a known trend"}
        assert undo.undo_description(db) == "Undo: decline 99 escalations"


def test_undo_of_a_100_item_batch_restores_every_field_and_leaves_nothing_to_push(
        store: Store) -> None:
    ids = seed(store, 100)
    apply(store, ta.Assign("b.lee"), ids[:10])  # an earlier unsent edit must survive
    before = rows(store, ids)
    with store.read() as db:
        queued_before = pending(db)
    apply(store, ta.Decline("not actionable"), ids)
    assert {r["status"] for r in rows(store, ids).values()} == {"declined"}
    assert {r["resolved_at"] for r in rows(store, ids).values()} == {int(NOW.timestamp())}
    with store.write() as db:
        result = undo.undo(db, ME, NOW + timedelta(seconds=5))
    assert result is not None and result.changed_ids == set(ids)
    assert all(o.ok for o in result.outcomes)
    assert rows(store, ids) == before  # every column, SLA clocks included
    with store.read() as db:
        assert pending(db) == queued_before  # no net change to push
        assert undo.can_redo(db)
        assert undo.undo_description(db) == "Undo: assign 10 escalations to b.lee"


def test_redo_reapplies_and_a_new_action_clears_the_redo_stack(store: Store) -> None:
    ids = seed(store, 5)
    apply(store, ta.Decline("spam"), ids)
    with store.write() as db:
        undo.undo(db, ME, NOW)
        assert undo.redo_description(db) == "Redo: decline 5 escalations"
        redone = undo.redo(db, ME, NOW)
    assert redone is not None and redone.changed_ids == set(ids)
    assert {r["status"] for r in rows(store, ids).values()} == {"declined"}
    with store.write() as db:
        assert len(pending(db)) == 5
        undo.undo(db, ME, NOW)
        assert undo.can_redo(db)
    apply(store, ta.Accept(), ids[:1])
    with store.read() as db:
        assert not undo.can_redo(db)
    with store.write() as db:
        assert undo.redo(db, ME, NOW) is None


def test_undo_after_the_push_queues_the_inverse_edit(store: Store) -> None:
    [esc] = seed(store, 1)
    apply(store, ta.Decline("spam"), [esc])
    with store.write() as db:
        db.execute("UPDATE outbox SET state = 'done', attempts = 1")
        undo.undo(db, ME, NOW)
        assert pending(db) == [(esc, {"status": "new"}, {"status": "declined"})]


def test_undo_withdraws_unsent_notes_but_not_sent_ones(store: Store) -> None:
    a, b = seed(store, 2)
    apply(store, ta.AddNote("first look: likely spam"), [a, b])
    with store.write() as db:
        db.execute("UPDATE outbox SET state = 'done', attempts = 1 WHERE escalation_id = ?",
                   (b,))
        result = undo.undo(db, ME, NOW)
    assert result is not None
    by_id = {o.escalation_id: o for o in result.outcomes}
    assert by_id[a].ok and "withdrawn" in by_id[a].message
    assert not by_id[b].ok and "already sent" in by_id[b].message
    with store.read() as db:
        assert db.execute("SELECT escalation_id FROM outbox").fetchall() == [(b,)]


def test_priority_is_recomputed_and_its_change_recorded_with_old_new_reason(
        store: Store) -> None:
    [esc] = seed(store, 1, severity=Severity.S2, urgency=Urgency.U2)
    assert rows(store, [esc])[esc]["priority"] == 3
    apply(store, ta.SetSeverity(Severity.S0), [esc])
    apply(store, ta.SetUrgency(Urgency.U0), [esc])
    with store.read() as db:
        changes = db.execute("SELECT old, new, reason FROM escalation_event WHERE "
                             "field = 'priority' ORDER BY id").fetchall()
        [(_, payload, _)] = pending(db)
    assert changes == [("P3", "P1", "S0 x U2 gives P1"), ("P1", "P0", "S0 x U0 gives P0")]
    assert payload == {"severity": "S0", "urgency": "U0"}  # priority is derived, not pushed
    with store.write() as db:
        undo.undo(db, ME, NOW)
        undo.undo(db, ME, NOW)
    assert rows(store, [esc])[esc]["priority"] == 3


def test_undo_leaves_fields_changed_since_and_says_so(store: Store) -> None:
    [esc] = seed(store, 1)
    apply(store, ta.Decline("spam"), [esc])
    with store.write() as db:
        db.execute("UPDATE outbox SET state = 'done', attempts = 1")
        external = db.execute("SELECT external_id FROM escalation WHERE id = ?",
                              (esc,)).fetchone()[0]
        newer = escalation(external_id=external, remote_version=5, status=Status.INVESTIGATING)
        merge_page(db, 1, [incoming(newer)], [], NOW)
        result = undo.undo(db, ME, NOW)
    assert result is not None
    [outcome] = result.outcomes
    assert not outcome.ok and "status changed since" in outcome.message
    assert rows(store, [esc])[esc]["status"] == "investigating"


def test_undo_of_a_new_incident_removes_it_and_redo_brings_it_back(store: Store) -> None:
    ids = seed(store, 3)
    apply(store, ta.EscalateToIncident(None, "Election misinformation wave"), ids)
    with store.write() as db:
        undo.undo(db, ME, NOW)
        assert db.execute("SELECT count(*) FROM incident").fetchone()[0] == 0
        undo.redo(db, ME, NOW)
        assert db.execute("SELECT id, title FROM incident").fetchall() == \
            [(1, "Election misinformation wave")]
    assert {r["incident_id"] for r in rows(store, ids).values()} == {1}


def test_sla_milestones_follow_actions_and_undo(store: Store) -> None:
    [esc] = seed(store, 1)
    apply(store, ta.Accept(), [esc])
    row = rows(store, [esc])[esc]
    assert row["acknowledged_at"] == int(NOW.timestamp()) and row["sla_due_at"] is not None
    apply(store, ta.Resolve(), [esc])
    row = rows(store, [esc])[esc]
    assert row["resolved_at"] == int(NOW.timestamp()) and row["sla_due_at"] is None


def test_undo_puts_a_paused_clock_back_exactly(store: Store) -> None:
    """Resolving ends a pause; an hour later the undo must not count that hour as paused
    or running: the clock is as it was."""
    [esc] = seed(store, 1, status=Status.WAITING_ON_PARTNER)
    before = rows(store, [esc])
    assert before[esc]["sla_paused_at"] is not None and before[esc]["sla_due_at"] is None
    apply(store, ta.Resolve(), [esc])
    assert rows(store, [esc])[esc]["sla_paused_s"] > 0
    with store.write() as db:
        undo.undo(db, ME, NOW + timedelta(hours=1))
    assert rows(store, [esc]) == before


def test_an_op_cancelled_while_in_flight_is_queued_back(store: Store) -> None:
    """The pusher read the decline; the analyst undid it before the push landed."""
    [esc] = seed(store, 1)
    apply(store, ta.Decline("spam"), [esc])
    with store.read() as db:
        [op] = ob.due_ops(db, 1, NOW)
    with store.write() as db:
        undo.undo(db, ME, NOW)
        assert pending(db) == []  # cancelled: nothing to push
        ob.mark_done(db, op, 2, NOW)  # ...but the source had applied it
        assert pending(db) == [(esc, {"status": "new"}, {"status": "declined"})]
    assert rows(store, [esc])[esc]["status"] == "new"
