"""Triage actions (KEYMAP keys 1, 2, 3, h, e, s, y, a, i, l, v, f, m, r) as data, applied to
one escalation or a whole selection in the caller's one write transaction.

`apply_action` runs the same per-item code for every id (KEYMAP rule 2): the optimistic
local change, its outbox row, timeline event and audit entry (outbox.record_local_update /
record_message), plus one audit event for the decision with its reason (rule 4). Each id
gets an outcome; one that cannot be changed never aborts the others (each item runs in
its own savepoint). The batch goes to the undo log as one step (store/undo.py).

What reaches the source: status, assignee, severity, urgency and tags (through the outbox);
notes and replies (outbox ops). What stays local: snoozed_until, duplicate_of (the source
learns the status "duplicate"), queue, incident_id, logged facts. See local_edits.py.

Validation happens before anything is written: a missing reason for decline, duplicate or
snooze, an empty note, a snooze in the past, an unknown canonical item or incident raise
ValueError with a sentence the GUI can show as it is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..domain import Status
from . import incidents, undo
from .local_edits import apply_local_fields, local_text
from .outbox import audit, record_local_update, record_message
from .timecodec import to_epoch
from .triage_records import (
    Accept,
    AddNote,
    Assign,
    Decline,
    EscalateToIncident,
    LogFact,
    MarkDuplicate,
    MoveQueue,
    Reply,
    Resolve,
    SetSeverity,
    SetUrgency,
    Snooze,
    Tag,
    TriageAction,
    Unsnooze,
    describe,
    kind_of,
    validate,
)
from .triage_result import ActionOutcome, ApplyResult, count_phrase

__all__ = [
    "Accept", "ActionOutcome", "AddNote", "ApplyResult", "Assign", "Decline",
    "EscalateToIncident", "LogFact", "MarkDuplicate", "MoveQueue", "Reply", "Resolve",
    "SetSeverity", "SetUrgency", "Snooze", "Tag", "TriageAction", "Unsnooze", "apply_action",
    "wake_due_snoozes",
]


@dataclass(slots=True)
class _Plan:
    """What to write for one escalation."""

    edits: dict[str, Any] = field(default_factory=dict)  # source fields, wire values
    local: dict[str, Any] = field(default_factory=dict)  # local columns
    message: tuple[str, str] | None = None  # (note | reply | fact, text)
    done: str = "done"


@dataclass(frozen=True, slots=True)
class _Skip:
    ok: bool
    message: str


def apply_action(db: sqlite3.Connection, action: TriageAction, ids: Sequence[int],
                 actor: str, now: datetime) -> ApplyResult:
    """Apply `action` to every id inside the caller's open write transaction."""
    canonical = validate(db, action, now)
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not actor.strip():
        raise ValueError("Actions need the analyst's id; none was given.")
    if not wanted:
        return ApplyResult(frozenset(), (), None, "Nothing selected")
    kind = kind_of(action)
    if isinstance(action, MarkDuplicate):
        action = MarkDuplicate(canonical or action.canonical_id, action.reason)
    batch_id = undo.begin_batch(db, kind, actor, now)
    detail: dict[str, Any] = {}
    incident_id = _incident_for(db, action, wanted, actor, now, detail)
    outcomes: list[ActionOutcome] = []
    for esc_id in wanted:
        db.execute("SAVEPOINT triage_item")
        try:
            outcome = _apply_one(db, action, kind, esc_id, incident_id, batch_id, actor, now)
        except (sqlite3.Error, LookupError, ValueError) as exc:
            db.execute("ROLLBACK TO triage_item")
            outcome = ActionOutcome(esc_id, False, f"not changed: {exc}")
        db.execute("RELEASE triage_item")
        outcomes.append(outcome)
    changed = frozenset(o.escalation_id for o in outcomes if o.changed)
    if not changed and detail:
        incidents.delete_if_unused(db, detail["created_incident"]["id"])
    imperative, past = describe(action, len(changed))
    undo_id = undo.finish_batch(db, batch_id, imperative, len(changed), detail)
    skipped = len(wanted) - len(changed)
    text = past if changed else f"Nothing changed ({count_phrase(len(wanted))})"
    if changed and skipped:
        text += f"; {skipped:,} not changed"
    return ApplyResult(changed, tuple(outcomes), undo_id, text)


def wake_due_snoozes(db: sqlite3.Connection, now: datetime) -> frozenset[int]:
    """Clear every snooze whose time has come, with a timeline event each; returns the ids
    (they are back in Triage; the views already showed them from `snoozed_until` on)."""
    now_s = to_epoch(now)
    due = db.execute("SELECT id, snoozed_until FROM escalation WHERE snoozed_until <= ?",
                     (now_s,)).fetchall()
    if not due:
        return frozenset()
    db.executemany(
        "INSERT INTO escalation_event (escalation_id, at, kind, field, old, new, reason, "
        "author, source) VALUES (?, ?, 'field_change', 'snoozed_until', ?, NULL, "
        "'snooze ended', NULL, 'local')",
        [(esc_id, now_s, local_text("snoozed_until", until)) for esc_id, until in due])
    db.execute("UPDATE escalation SET snoozed_until = NULL WHERE snoozed_until <= ?", (now_s,))
    ids = frozenset(r[0] for r in due)
    audit(db, "system", "snoozes_woken", now, None, None, ids=sorted(ids))
    return ids


def _incident_for(db: sqlite3.Connection, action: TriageAction, ids: list[int], actor: str,
                  now: datetime, detail: dict[str, Any]) -> int | None:
    if not isinstance(action, EscalateToIncident):
        return None
    if action.incident_id is not None:
        return action.incident_id
    assert action.new_title is not None
    made = incidents.create_incident(db, action.new_title, actor, now)
    detail["created_incident"] = {"id": made, "title": incidents.clean_title(action.new_title)}
    audit(db, actor, "incident_created", now, None, None, incident_id=made,
          title=detail["created_incident"]["title"])
    return made


def _apply_one(db: sqlite3.Connection, action: TriageAction, kind: str, esc_id: int,
               incident_id: int | None, batch_id: int, actor: str,
               now: datetime) -> ActionOutcome:
    before = undo.snapshot(db, esc_id)
    if before is None:
        return ActionOutcome(esc_id, False, "not in the cache")
    plan = _plan(action, before, esc_id, incident_id)
    if isinstance(plan, _Skip):
        return ActionOutcome(esc_id, plan.ok, plan.message)
    reason = getattr(action, "reason", None)
    if plan.edits:
        record_local_update(db, esc_id, plan.edits, actor, reason, now)
    if plan.local:
        apply_local_fields(db, esc_id, plan.local, actor, reason, now)
    message: dict[str, Any] | None = None
    if plan.message is not None:
        msg_kind, text = plan.message
        message = {"kind": msg_kind, "text": text, "withdrawn": False}
        if msg_kind == "fact":
            message["event_id"] = undo.insert_fact(db, esc_id, text, actor, now)
        else:
            message["op_id"] = record_message(db, esc_id, msg_kind, text, actor, now)
            message["event_id"] = db.execute(
                "SELECT max(id) FROM escalation_event WHERE escalation_id = ?",
                (esc_id,)).fetchone()[0]
    after = undo.snapshot(db, esc_id)
    assert after is not None
    diff = [c for c in undo.TRACKED_COLUMNS if before[c] != after[c]]
    if not diff and message is None:
        return ActionOutcome(esc_id, True, "no change")
    undo.add_item(db, batch_id, esc_id, {c: before[c] for c in diff},
                  {c: after[c] for c in diff}, message)
    channel = db.execute("SELECT channel_id FROM escalation WHERE id = ?",
                         (esc_id,)).fetchone()[0]
    audit(db, actor, f"triage.{kind}", now, esc_id, channel, batch=batch_id, reason=reason,
          fields={c: after[c] for c in diff})
    return ActionOutcome(esc_id, True, plan.done, True)


def _status(value: str) -> Status | None:
    try:
        return Status(value)
    except ValueError:
        return None


def _plan(action: TriageAction, cur: dict[str, Any], esc_id: int,
          incident_id: int | None) -> _Plan | _Skip:
    status = _status(cur["status"])
    label = status.label if status is not None else str(cur["status"])
    closed = status is not None and not status.is_open
    match action:
        case Accept():
            if status in (Status.NEW, Status.SNOOZED):
                return _Plan(edits={"status": Status.TRIAGED.value}, done="accepted")
            if closed:
                return _Skip(False, f"already {label}")
            return _Skip(True, f"already {label}")
        case Decline():
            if status is Status.DECLINED:
                return _Skip(True, "already declined")
            if closed:
                return _Skip(False, f"already {label}")
            return _Plan(edits={"status": Status.DECLINED.value}, done="declined")
        case MarkDuplicate(canonical_id=canonical):
            if esc_id == canonical:
                return _Skip(False, "is the canonical item itself")
            if status is Status.DUPLICATE and cur["duplicate_of"] == canonical:
                return _Skip(True, f"already a duplicate of #{canonical}")
            if closed and status is not Status.DUPLICATE:
                return _Skip(False, f"already {label}")
            return _Plan(edits={"status": Status.DUPLICATE.value},
                         local={"duplicate_of": canonical}, done=f"duplicate of #{canonical}")
        case Snooze(until=until):
            if closed:
                return _Skip(False, f"already {label}: nothing to snooze")
            until_s = to_epoch(until)
            if cur["snoozed_until"] == until_s:
                return _Skip(True, "already snoozed until then")
            return _Plan(local={"snoozed_until": until_s},
                         done=f"snoozed until {local_text('snoozed_until', until_s)}")
        case Unsnooze():
            if cur["snoozed_until"] is None:
                return _Skip(True, "not snoozed")
            return _Plan(local={"snoozed_until": None}, done="back in the queue")
        case Resolve():
            if status in (Status.RESOLVED, Status.CLOSED):
                return _Skip(True, f"already {label}")
            if closed:
                return _Skip(False, f"already {label}")
            return _Plan(edits={"status": Status.RESOLVED.value}, done="resolved")
        case SetSeverity(severity=sev):
            if cur["severity"] == int(sev):
                return _Skip(True, f"already {sev.name}")
            return _Plan(edits={"severity": sev.name}, done=f"severity {sev.name}")
        case SetUrgency(urgency=urg):
            if cur["urgency"] == int(urg):
                return _Skip(True, f"already {urg.name}")
            return _Plan(edits={"urgency": urg.name}, done=f"urgency {urg.name}")
        case Assign(assignee=who):
            if cur["assignee"] == who:
                return _Skip(True, f"already assigned to {who}" if who else "already unassigned")
            return _Plan(edits={"assignee": who},
                         done=f"assigned to {who}" if who else "unassigned")
        case Tag(add=add, remove=remove):
            tags = [t for t in str(cur["tags"] or "").split() if t not in remove]
            tags += [t for t in add if t not in tags]
            if " ".join(tags) == (cur["tags"] or ""):
                return _Skip(True, "tags unchanged")
            return _Plan(edits={"tags": tags}, done="tags " + (" ".join(tags) or "cleared"))
        case MoveQueue(queue=queue):
            name = queue.strip()
            if cur["queue"] == name:
                return _Skip(True, f"already in {name}")
            return _Plan(local={"queue": name}, done=f"moved to {name}")
        case EscalateToIncident():
            if cur["incident_id"] == incident_id:
                return _Skip(True, f"already in incident #{incident_id}")
            return _Plan(local={"incident_id": incident_id}, done=f"added to #{incident_id}")
        case AddNote(text=text):
            return _Plan(message=("note", text.strip()), done="note queued")
        case LogFact(text=text):
            return _Plan(message=("fact", text.strip()), done="fact logged")
        case Reply(text=text):
            return _Plan(message=("reply", text.strip()), done="reply queued")
    raise TypeError(f"not a triage action: {action!r}")
