"""Applying triage actions (store/actions/) to one escalation or a whole selection in the
caller's one write transaction.

`apply_action` runs the same per-item code for every id (KEYMAP rule 2): the optimistic
local change, its outbox row, timeline event and audit entry (outbox.record_local_update /
record_message), plus one audit event for the decision with its reason (rule 4). Each id
gets an outcome; one that cannot be changed never aborts the others (each item runs in
its own savepoint). The batch goes to the undo log as one step (store/undo.py).

What reaches the source is each action's `pushes`; what stays on this machine its
`keeps_local` (see local_edits.py and docs/push-matrix.md).

Validation happens before anything is written: a missing reason for decline, duplicate or
snooze, an empty note, a snooze in the past, an unknown canonical item or incident raise
ValueError with a sentence the GUI can show as it is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from . import incidents, undo
from .actions import (
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
    Skip,
    Snooze,
    Tag,
    TriageAction,
    Unsnooze,
)
from .local_edits import apply_local_fields, local_text
from .outbox import audit, carried_by, record_local_update, record_message
from .timecodec import to_epoch
from .triage_result import ActionOutcome, ApplyResult, count_phrase

__all__ = [
    "Accept", "ActionOutcome", "AddNote", "ApplyResult", "Assign", "Decline",
    "EscalateToIncident", "LogFact", "MarkDuplicate", "MoveQueue", "Reply", "Resolve",
    "SetSeverity", "SetUrgency", "Snooze", "Tag", "TriageAction", "Unsnooze", "apply_action",
    "wake_due_snoozes",
]


def apply_action(db: sqlite3.Connection, action: TriageAction, ids: Sequence[int],
                 actor: str, now: datetime) -> ApplyResult:
    """Apply `action` to every id inside the caller's open write transaction."""
    action = action.validate(db, now)
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not actor.strip():
        raise ValueError("Actions need the analyst's id; none was given.")
    if not wanted:
        return ApplyResult(frozenset(), (), None, "Nothing selected")
    kind = action.kind
    batch_id = undo.begin_batch(db, kind, actor, now)
    detail: dict[str, Any] = {}
    prepared = action.prepare(db, actor, now, detail)
    outcomes: list[ActionOutcome] = []
    for esc_id in wanted:
        db.execute("SAVEPOINT triage_item")
        try:
            outcome = _apply_one(db, action, esc_id, prepared, batch_id, actor, now)
        except (sqlite3.Error, LookupError, ValueError) as exc:
            db.execute("ROLLBACK TO triage_item")
            outcome = ActionOutcome(esc_id, False, f"not changed: {exc}")
        db.execute("RELEASE triage_item")
        outcomes.append(outcome)
    changed = frozenset(o.escalation_id for o in outcomes if o.changed)
    if not changed and detail:
        incidents.delete_if_unused(db, detail["created_incident"]["id"])
    imperative, past = action.describe(len(changed))
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


def _apply_one(db: sqlite3.Connection, action: TriageAction, esc_id: int,
               prepared: int | None, batch_id: int, actor: str,
               now: datetime) -> ActionOutcome:
    before = undo.snapshot(db, esc_id)
    if before is None:
        return ActionOutcome(esc_id, False, "not in the cache")
    plan = action.plan(before, esc_id, prepared)
    if isinstance(plan, Skip):
        return ActionOutcome(esc_id, plan.ok, plan.message)
    reason = action.why()
    if plan.edits:
        record_local_update(db, esc_id, plan.edits, actor, reason, now, plan.context)
    if plan.local:
        apply_local_fields(db, esc_id, plan.local, actor, reason, now,
                           carried_by(db, esc_id, plan.local) if plan.context else None)
    message: dict[str, Any] | None = None
    if plan.message is not None:
        msg_kind, text = plan.message
        message = {"kind": msg_kind, "text": text, "withdrawn": False}
        message["event_id"], message["op_id"] = record_message(db, esc_id, msg_kind, text,
                                                               actor, now)
    after = undo.snapshot(db, esc_id)
    assert after is not None
    diff = [c for c in undo.TRACKED_COLUMNS if before[c] != after[c]]
    if not diff and message is None:
        return ActionOutcome(esc_id, True, "no change")
    undo.add_item(db, batch_id, esc_id, {c: before[c] for c in diff},
                  {c: after[c] for c in diff}, message)
    channel = db.execute("SELECT channel_id FROM escalation WHERE id = ?",
                         (esc_id,)).fetchone()[0]
    audit(db, actor, f"triage.{action.kind}", now, esc_id, channel, batch=batch_id, reason=reason,
          fields={c: after[c] for c in diff})
    return ActionOutcome(esc_id, True, plan.done, True)
