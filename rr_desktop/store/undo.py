"""Undo and redo of triage batches, kept in the cache (tables undo_batch / undo_item).

One batch per action (KEYMAP rule 2: one undo reverts the batch), one item per escalation
it changed, holding the column values before and after. Undo writes the inverse as normal
local edits in one transaction: source fields (status, assignee, severity, urgency, tags)
go through the outbox, local fields get their timeline events, SLA milestones are put back
exactly. Because the outbox drops a field that returns to its base from an op that was
never attempted (outbox._enqueue_update), undoing a batch before sync pushed it leaves
nothing to push at all; once pushed, the undo is an ordinary edit the source receives.

A field changed since by someone else (a sync, a later action) is left as it is and the
item's outcome says so. Notes and replies still unsent are withdrawn; once sent they
cannot be undone, and the outcome says that too. New actions clear the redo stack.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from . import incidents, sla_sql
from .local_edits import EDITABLE_FIELDS, LOCAL_FIELDS, apply_local_fields, decode_field
from .outbox import audit, record_local_update, record_message
from .timecodec import to_epoch
from .triage_result import ActionOutcome, ApplyResult

# Columns restored as they were, without events (SLA milestones; the priority raise time,
# which apply_fields keeps when priority falls again).
RAW_COLUMNS = ("acknowledged_at", "contained_at", "resolved_at", "sla_paused_at",
               "sla_paused_s", "priority_raised_at")
TRACKED_COLUMNS = EDITABLE_FIELDS + LOCAL_FIELDS + RAW_COLUMNS
MAX_BATCHES = 100
_SNAPSHOT = f"SELECT {', '.join(TRACKED_COLUMNS)} FROM escalation WHERE id = ?"


def snapshot(db: sqlite3.Connection, esc_id: int) -> dict[str, Any] | None:
    """The tracked column values of one escalation (None when it is not cached)."""
    row = db.execute(_SNAPSHOT, (esc_id,)).fetchone()
    return None if row is None else dict(zip(TRACKED_COLUMNS, row, strict=True))


def begin_batch(db: sqlite3.Connection, kind: str, actor: str, now: datetime) -> int:
    cur = db.execute("INSERT INTO undo_batch (at, actor, kind, description, state) "
                     "VALUES (?, ?, ?, '', 'done')", (to_epoch(now), actor, kind))
    assert cur.lastrowid is not None
    return cur.lastrowid


def add_item(db: sqlite3.Connection, batch_id: int, esc_id: int, before: dict[str, Any],
             after: dict[str, Any], message: dict[str, Any] | None = None) -> None:
    db.execute("INSERT INTO undo_item (batch_id, escalation_id, before, after, message) "
               "VALUES (?, ?, ?, ?, ?)",
               (batch_id, esc_id, json.dumps(before), json.dumps(after),
                None if message is None else json.dumps(message)))


def finish_batch(db: sqlite3.Connection, batch_id: int, description: str, changed: int,
                 detail: dict[str, Any] | None = None) -> int | None:
    """Keep the batch if it changed anything (clearing the redo stack and pruning old
    batches); otherwise drop it. Returns the batch id or None."""
    if not changed:
        db.execute("DELETE FROM undo_batch WHERE id = ?", (batch_id,))
        return None
    db.execute("UPDATE undo_batch SET description = ?, detail = ? WHERE id = ?",
               (description, json.dumps(detail or {}), batch_id))
    db.execute("DELETE FROM undo_batch WHERE state = 'undone'")
    db.execute("DELETE FROM undo_batch WHERE id <= ?", (batch_id - MAX_BATCHES,))
    return batch_id


def _next(db: sqlite3.Connection, redo: bool) -> tuple[int, str, str, str] | None:
    row = db.execute(
        "SELECT id, kind, description, detail FROM undo_batch WHERE state = 'undone' "
        "ORDER BY id LIMIT 1" if redo else
        "SELECT id, kind, description, detail FROM undo_batch WHERE state = 'done' "
        "ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else (row[0], row[1], row[2], row[3])


def can_undo(db: sqlite3.Connection) -> bool:
    return _next(db, redo=False) is not None


def can_redo(db: sqlite3.Connection) -> bool:
    return _next(db, redo=True) is not None


def undo_description(db: sqlite3.Connection) -> str | None:
    """"Undo: decline 100 escalations", or None when there is nothing to undo."""
    batch = _next(db, redo=False)
    return None if batch is None else f"Undo: {batch[2]}"


def redo_description(db: sqlite3.Connection) -> str | None:
    batch = _next(db, redo=True)
    return None if batch is None else f"Redo: {batch[2]}"


def undo(db: sqlite3.Connection, actor: str, now: datetime) -> ApplyResult | None:
    """Revert the last batch, every item, in the caller's transaction (None: nothing)."""
    return _replay(db, actor, now, redo=False)


def redo(db: sqlite3.Connection, actor: str, now: datetime) -> ApplyResult | None:
    """Re-apply the batch undone last."""
    return _replay(db, actor, now, redo=True)


def _replay(db: sqlite3.Connection, actor: str, now: datetime,
            redo: bool) -> ApplyResult | None:
    batch = _next(db, redo)
    if batch is None:
        return None
    batch_id, kind, description, detail_json = batch
    detail = json.loads(detail_json)
    verb = "redo" if redo else "undo"
    if redo and detail.get("created_incident"):
        made = detail["created_incident"]
        if incidents.get_incident(db, made["id"]) is None:
            incidents.create_incident(db, made["title"], actor, now, made["id"],
                                      made.get("uid"))
    outcomes: list[ActionOutcome] = []
    changed: set[int] = set()
    items = db.execute("SELECT id, escalation_id, before, after, message FROM undo_item "
                       "WHERE batch_id = ? ORDER BY id", (batch_id,)).fetchall()
    for item_id, esc_id, before, after, message in items:
        src, dst = (json.loads(before), json.loads(after))
        if not redo:
            src, dst = dst, src
        outcome = _replay_item(db, item_id, esc_id, src, dst, message, actor,
                               f"{verb}: {description}", now, redo)
        outcomes.append(outcome)
        if outcome.changed:
            changed.add(esc_id)
        audit(db, actor, f"triage.{verb}", now, esc_id, None, batch=batch_id, kind=kind,
              ok=outcome.ok, message=outcome.message)
    if not redo and detail.get("created_incident"):
        incidents.delete_if_unused(db, detail["created_incident"]["id"])
    db.execute("UPDATE undo_batch SET state = ? WHERE id = ?",
               ("done" if redo else "undone", batch_id))
    done = "Redone" if redo else "Undone"
    failed = sum(1 for o in outcomes if not o.ok)
    text = f"{done}: {description}" + (f"; {failed:,} could not be {verb}ne" if failed else "")
    return ApplyResult(frozenset(changed), tuple(outcomes), batch_id, text)


def _replay_item(db: sqlite3.Connection, item_id: int, esc_id: int, src: dict[str, Any],
                 dst: dict[str, Any], message: str | None, actor: str, reason: str,
                 now: datetime, redo: bool) -> ActionOutcome:
    current = snapshot(db, esc_id)
    if current is None:
        return ActionOutcome(esc_id, False, "no longer in the cache")
    stale = sorted(c for c in dst if current.get(c) != src.get(c))
    if any(c in EDITABLE_FIELDS for c in stale):
        # Milestones follow the status: put them back only with the fields they follow.
        stale = sorted({*stale, *(c for c in dst if c in RAW_COLUMNS)})
    fields = [c for c in dst if c not in stale]
    edits = {c: decode_field(c, dst[c]) for c in fields if c in EDITABLE_FIELDS}
    local = {c: dst[c] for c in fields if c in LOCAL_FIELDS}
    raw = {c: dst[c] for c in fields if c in RAW_COLUMNS}
    if edits:
        record_local_update(db, esc_id, edits, actor, reason, now)
    if local:
        apply_local_fields(db, esc_id, local, actor, reason, now)
    if raw:
        db.execute(f"UPDATE escalation SET {', '.join(f'{c} = ?' for c in raw)} WHERE id = ?",
                   [*raw.values(), esc_id])
        sla_sql.recompute_deadlines(db, [esc_id])
    notes: list[str] = []
    ok = True
    wrote = bool(edits or local or raw)
    if message is not None:
        msg_ok, msg_wrote, text = _replay_message(db, item_id, esc_id, json.loads(message),
                                                  actor, now, redo)
        ok, wrote = ok and msg_ok, wrote or msg_wrote
        notes.append(text)
    shown = [c for c in stale if c not in RAW_COLUMNS]
    if shown:
        notes.append(f"{', '.join(shown)} changed since; left as "
                     + ("it is" if len(shown) == 1 else "they are"))
        ok = ok and bool(fields)
    if not notes:
        notes.append("redone" if redo else "undone")
    return ActionOutcome(esc_id, ok, "; ".join(notes), wrote)


def _replay_message(db: sqlite3.Connection, item_id: int, esc_id: int, msg: dict[str, Any],
                    actor: str, now: datetime, redo: bool) -> tuple[bool, bool, str]:
    """(ok, wrote, outcome text) for the note, reply or fact of one item."""
    kind = str(msg["kind"])
    if redo:
        if not msg.get("withdrawn"):
            return True, False, f"the {kind} was never withdrawn"
        msg["event_id"], msg["op_id"] = record_message(db, esc_id, kind, str(msg["text"]),
                                                       actor, now)
        msg["withdrawn"] = False
        _save_message(db, item_id, msg)
        return True, True, f"{kind} recorded again"
    if msg.get("op_id"):  # it was queued for the source
        row = db.execute("SELECT state, attempts FROM outbox WHERE op_id = ?",
                         (msg["op_id"],)).fetchone()
        if row is None or row[0] != "pending" or row[1] != 0:
            return False, False, f"the {kind} was already sent; it cannot be undone"
        db.execute("DELETE FROM outbox WHERE op_id = ?", (msg["op_id"],))
    db.execute("DELETE FROM escalation_event WHERE id = ?", (msg.get("event_id"),))
    msg["withdrawn"] = True
    _save_message(db, item_id, msg)
    return True, True, (f"{kind} withdrawn before it was sent" if msg.get("op_id")
                        else f"{kind} removed")


def _save_message(db: sqlite3.Connection, item_id: int, msg: dict[str, Any]) -> None:
    db.execute("UPDATE undo_item SET message = ? WHERE id = ?", (json.dumps(msg), item_id))
