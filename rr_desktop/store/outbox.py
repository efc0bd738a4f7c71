"""The outbox: local mutations queued for their source channel (docs/sync.md rules 7-9).

Every local change writes its optimistic edit, its outbox row, its timeline event and its
audit entry in the caller's one transaction. Ops replay FIFO per escalation; repeated
edits of an op that was never sent are coalesced into it.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import fts
from .channel_state import channel_pushes
from .local_edits import apply_fields, decode_field
from .timecodec import to_epoch

MESSAGE_KINDS = ("note", "fact", "reply")


@dataclass(frozen=True, slots=True)
class OutboxOp:
    """One queued op, joined with what the channel needs to push it."""

    seq: int
    op_id: str
    channel_id: int
    escalation_id: int
    external_id: str
    op_type: str
    payload: dict[str, Any]
    base: dict[str, Any]
    base_version: int
    attempts: int
    state: str
    raw_payload: str
    context: dict[str, Any] = dataclasses.field(default_factory=dict)


def audit(db: sqlite3.Connection, actor: str, action: str, now: datetime,
          escalation_id: int | None = None, channel_id: int | None = None,
          **detail: Any) -> None:
    db.execute(
        "INSERT INTO audit_log (at, actor, action, escalation_id, channel_id, detail) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (to_epoch(now), actor, action, escalation_id, channel_id,
         json.dumps(detail, default=str)))


def record_local_update(db: sqlite3.Connection, esc_id: int, fields: dict[str, Any],
                        actor: str, reason: str | None, now: datetime,
                        context: dict[str, Any] | None = None) -> dict[str, Any]:
    """Optimistically edit an escalation and queue what its source receives of the edit
    (the channel's pushes; the rest stays on this machine, its timeline events without
    an op); `context` goes with the change where the source takes it (a decline's
    reason). Returns the changed fields as {field: (old, new)} column values (empty if
    nothing changed, nothing queued)."""
    row = db.execute("SELECT channel_id, remote_version, title, body, tags FROM escalation "
                     "WHERE id = ?", (esc_id,)).fetchone()
    if row is None:
        raise LookupError(f"escalation {esc_id} is not in the cache")
    channel_id, version, title, body, tags = row
    changes = apply_fields(db, esc_id, fields, now)
    if not changes:
        return {}
    if "tags" in changes:
        fts.replace_row(db, esc_id, (title, body, tags))
    now_s = to_epoch(now)
    pushes = channel_pushes(db, channel_id)
    wire = {f: decode_field(f, new) for f, (_, new) in changes.items()
            if f != "priority" and (pushes is None or f in pushes)}
    base = {f: decode_field(f, changes[f][0]) for f in wire}
    op_id: str | None = None
    queued = "local"
    if wire:
        extra = _source_context(db, channel_id, context or {}, pushes)
        op_id, queued = _enqueue_update(db, channel_id, esc_id, version, wire, base, extra,
                                        now_s)
    for field, (old, new) in changes.items():
        why = reason
        if field == "priority":  # re-prioritization history: say why it moved
            why = _priority_reason(db, esc_id, reason)
        db.execute(
            "INSERT INTO escalation_event (escalation_id, at, kind, field, old, new, reason, "
            "author, source, op_id) VALUES (?, ?, 'field_change', ?, ?, ?, ?, ?, 'local', ?)",
            (esc_id, now_s, field, event_text(field, old), event_text(field, new), why, actor,
             op_id if field in wire else None))
    audit(db, actor, "local_update", now, esc_id, channel_id, reason=reason,
          fields={f: decode_field(f, new) for f, (_, new) in changes.items()
                  if f != "priority"}, pushed=sorted(wire))
    kept = [(esc_id, f, new, now_s) for f, (_, new) in changes.items()
            if f != "priority" and f not in wire]
    if kept:  # the source cannot receive these: later copies from it must not undo them
        db.executemany("INSERT INTO local_override (escalation_id, field, value, at) "
                       "VALUES (?, ?, ?, ?) ON CONFLICT (escalation_id, field) DO UPDATE "
                       "SET value = excluded.value, at = excluded.at", kept)
    if queued == "cancelled":
        audit(db, actor, "outbox_cancelled", now, esc_id, channel_id,
              why="the unsent edit now matches the source's values")
    return changes


def _priority_reason(db: sqlite3.Connection, esc_id: int, reason: str | None) -> str:
    row = db.execute("SELECT priority_reasons FROM escalation WHERE id = ?",
                     (esc_id,)).fetchone()
    why = "; ".join(json.loads(row[0])) if row else ""
    return f"{why} ({reason})" if reason else why


def _source_context(db: sqlite3.Connection, channel_id: int, context: dict[str, Any],
                    pushes: frozenset[str] | None) -> dict[str, Any]:
    """What of `context` the source receives: the keys it takes, with a duplicate's
    canonical escalation as the source's own id (only within the same channel: another
    source's id means nothing there)."""
    out = {k: v for k, v in context.items() if pushes is None or k in pushes}
    if "duplicate_of" in out:
        row = db.execute("SELECT channel_id, external_id FROM escalation WHERE id = ?",
                         (out["duplicate_of"],)).fetchone()
        if row is None or row[0] != channel_id:
            del out["duplicate_of"]
        else:
            out["duplicate_of"] = row[1]
    return out


def carried_by(db: sqlite3.Connection, esc_id: int, local: dict[str, Any]) -> dict[str, str]:
    """The local fields of a change that reach the source with its unsent update anyway
    ({field: op id}): a duplicate's canonical, sent as the source's own id with the
    status "duplicate" where the source takes it (see _source_context)."""
    canonical = local.get("duplicate_of")
    if canonical is None:
        return {}
    row = db.execute(
        "SELECT o.op_id FROM outbox o JOIN escalation c ON c.id = ? "
        "JOIN escalation d ON d.id = o.escalation_id AND d.channel_id = c.channel_id "
        "WHERE o.escalation_id = ? AND o.op_type = 'update' AND o.state = 'pending' "
        "AND o.attempts = 0 AND json_extract(o.context, '$.duplicate_of') = c.external_id "
        "ORDER BY o.seq DESC LIMIT 1", (canonical, esc_id)).fetchone()
    return {"duplicate_of": str(row[0])} if row else {}


def event_text(field: str, value: Any) -> str | None:
    """A column value as the timeline keeps it (plain text, not JSON or a repr)."""
    if value is None:
        return None
    if field == "priority":
        return f"P{value}"
    decoded = decode_field(field, value)
    if isinstance(decoded, list):
        return " ".join(str(t) for t in decoded)
    return str(decoded)


def _enqueue_update(db: sqlite3.Connection, channel_id: int, esc_id: int, version: int,
                    wire: dict[str, Any], base: dict[str, Any], context: dict[str, Any],
                    now_s: int) -> tuple[str, str]:
    """Queue an update; (op_id, "queued" | "coalesced" into the unsent op | "cancelled").

    Coalescing keeps the earliest base. A field the edit returns to its base (an undo,
    or an analyst changing their mind before the op left) is dropped from the op, and an
    op left with nothing to push is deleted: no no-op round trip, no false conflict.
    Only ops never attempted are touched (attempts = 0: the source cannot have seen them).
    """
    unsent = db.execute(
        "SELECT seq, op_id, payload, base, context FROM outbox WHERE escalation_id = ? "
        "AND op_type = 'update' AND state = 'pending' AND attempts = 0 "
        "ORDER BY seq DESC LIMIT 1", (esc_id,)).fetchone()
    if unsent is not None:
        seq, op_id, payload, old_base, old_context = unsent
        merged_payload = {**json.loads(payload), **wire}
        merged_base = {**base, **json.loads(old_base)}  # the earliest base wins
        merged_context = {**json.loads(old_context), **context}
        for field in [f for f, v in merged_payload.items()
                      if f in merged_base and merged_base[f] == v]:
            del merged_payload[field], merged_base[field]
        if "status" not in merged_payload:  # a reason travels with its status change
            merged_context = {}
        if not merged_payload:
            db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
            return str(op_id), "cancelled"
        db.execute("UPDATE outbox SET payload = ?, base = ?, context = ? WHERE seq = ?",
                   (json.dumps(merged_payload), json.dumps(merged_base),
                    json.dumps(merged_context), seq))
        return str(op_id), "coalesced"
    op_id = str(uuid.uuid4())
    db.execute(
        "INSERT INTO outbox (op_id, channel_id, escalation_id, op_type, payload, base, "
        "base_version, state, created_at, context) "
        "VALUES (?, ?, ?, 'update', ?, ?, ?, 'pending', ?, ?)",
        (op_id, channel_id, esc_id, json.dumps(wire), json.dumps(base), version, now_s,
         json.dumps(context if "status" in wire else {})))
    return op_id, "queued"


class NotReceived(ValueError):
    """The escalation's source cannot receive this kind of message (a reply to a news
    feed): refused before anything is written, the sentence says so."""


def record_message(db: sqlite3.Connection, esc_id: int, kind: str, text: str, author: str,
                   now: datetime) -> tuple[int, str | None]:
    """An internal note, an evolving fact or a reply on the source: its timeline event,
    and its outbox op when the channel's source receives it; returns (event id, op id or
    None: it stays on this machine). A reply the source cannot receive raises
    NotReceived."""
    if kind not in MESSAGE_KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    row = db.execute("SELECT e.channel_id, e.remote_version, c.name FROM escalation e "
                     "JOIN channel c ON c.id = e.channel_id WHERE e.id = ?",
                     (esc_id,)).fetchone()
    if row is None:
        raise LookupError(f"escalation {esc_id} is not in the cache")
    channel_id, version, channel = row
    pushes = channel_pushes(db, channel_id)
    sent = pushes is None or kind in pushes
    if kind == "reply" and not sent:
        raise NotReceived(f"{channel} cannot send replies to the reporter: answer them "
                          "another way (nothing was queued)")
    op_id = str(uuid.uuid4()) if sent else None
    now_s = to_epoch(now)
    if op_id is not None:
        db.execute(
            "INSERT INTO outbox (op_id, channel_id, escalation_id, op_type, payload, "
            "base_version, state, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
            (op_id, channel_id, esc_id, kind, json.dumps({"text": text, "author": author}),
             version, now_s))
    cur = db.execute(
        "INSERT INTO escalation_event (escalation_id, at, kind, new, author, source, op_id) "
        "VALUES (?, ?, ?, ?, ?, 'local', ?)", (esc_id, now_s, kind, text, author, op_id))
    audit(db, author, f"local_{kind}", now, esc_id, channel_id, op_id=op_id)
    assert cur.lastrowid is not None
    return cur.lastrowid, op_id


def due_ops(db: sqlite3.Connection, channel_id: int, now: datetime,
            limit: int = 100) -> list[OutboxOp]:
    """Pending ops whose time has come, FIFO, at most one per escalation (the oldest):
    a later op on the same escalation waits for the earlier one."""
    rows = db.execute(
        "SELECT o.seq, o.op_id, o.channel_id, o.escalation_id, e.external_id, o.op_type, "
        "o.payload, o.base, o.base_version, o.attempts, o.state, o.next_attempt_at, "
        "o.context FROM outbox o JOIN escalation e ON e.id = o.escalation_id "
        "WHERE o.channel_id = ? AND o.state = 'pending' AND o.seq = ("
        " SELECT min(seq) FROM outbox p WHERE p.escalation_id = o.escalation_id "
        " AND p.state IN ('pending', 'conflict')) "
        "ORDER BY o.seq LIMIT ?", (channel_id, limit)).fetchall()
    now_s = to_epoch(now)
    return [OutboxOp(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), json.loads(r[7]),
                     r[8], r[9], r[10], r[6], json.loads(r[12])) for r in rows
            if r[11] <= now_s]


def next_due_at(db: sqlite3.Connection, channel_id: int) -> int | None:
    """When the next op `due_ops` could return falls due: only ops at the head of their
    escalation's queue count. One waiting behind a conflict is not due however old it is
    (counting it made the drain loop spin, never finishing the run)."""
    row = db.execute(
        "SELECT min(o.next_attempt_at) FROM outbox o WHERE o.channel_id = ? "
        "AND o.state = 'pending' AND o.seq = ("
        " SELECT min(seq) FROM outbox p WHERE p.escalation_id = o.escalation_id "
        " AND p.state IN ('pending', 'conflict'))", (channel_id,)).fetchone()
    return None if row is None else row[0]


def mark_done(db: sqlite3.Connection, op: OutboxOp, remote_version: int | None,
              now: datetime) -> bool:
    """Done, unless the op was amended or cancelled while in flight (False is returned;
    see `_sent_while_amended`)."""
    done = db.execute(
        "UPDATE outbox SET state = 'done', done_at = ?, last_error = NULL "
        "WHERE seq = ? AND payload = ? AND state = 'pending'",
        (to_epoch(now), op.seq, op.raw_payload)).rowcount
    if not done:
        _sent_while_amended(db, op, remote_version, now)
    if remote_version is not None:
        db.execute("UPDATE escalation SET remote_version = max(remote_version, ?) "
                   "WHERE id = ?", (remote_version, op.escalation_id))
    audit(db, "sync", f"pushed_{op.op_type}", now, op.escalation_id, op.channel_id,
          op_id=op.op_id, remote_version=remote_version)
    return bool(done)


def _sent_while_amended(db: sqlite3.Connection, op: OutboxOp, remote_version: int | None,
                        now: datetime) -> None:
    """The source applied `op` as read, but locally the op was coalesced, had fields
    dropped, or was cancelled (an undo) meanwhile. The source now holds op.payload: every
    pending op of the escalation is rebased on it, and a field no op still carries but the
    analyst took back (it returned to op.base) is queued again with that value."""
    if op.op_type != "update":
        if db.execute("SELECT 1 FROM outbox WHERE seq = ?", (op.seq,)).fetchone() is None:
            db.execute(
                "INSERT INTO escalation_event (escalation_id, at, kind, new, reason, source) "
                "VALUES (?, ?, ?, ?, ?, 'sync')",
                (op.escalation_id, to_epoch(now), op.op_type, op.payload.get("text"),
                 "sent before it could be withdrawn"))
            # An undo withdrew it while it was on the wire: the undo log must not think
            # it unsent, or a redo would queue it again and the source would get it twice.
            db.execute(
                "UPDATE undo_item SET message = json_set(message, '$.withdrawn', json('false'))"
                " WHERE escalation_id = ? AND json_extract(message, '$.op_id') = ?",
                (op.escalation_id, op.op_id))
        return
    covered: set[str] = set()
    for seq, payload, base in db.execute(
            "SELECT seq, payload, base FROM outbox WHERE escalation_id = ? AND "
            "op_type = 'update' AND state = 'pending' ORDER BY seq",
            (op.escalation_id,)).fetchall():
        fields = json.loads(payload)
        rebased = {**json.loads(base), **{f: v for f, v in op.payload.items() if f in fields}}
        covered.update(fields)
        db.execute("UPDATE outbox SET base = ?, base_version = max(base_version, ?), "
                   "attempts = CASE WHEN seq = ? THEN 0 ELSE attempts END WHERE seq = ?",
                   (json.dumps(rebased), remote_version or 0, op.seq, seq))
    taken_back = {f: op.base.get(f) for f, v in op.payload.items()
                  if f not in covered and op.base.get(f) != v}
    if not taken_back:
        return
    db.execute(
        "INSERT INTO outbox (op_id, channel_id, escalation_id, op_type, payload, base, "
        "base_version, state, created_at) VALUES (?, ?, ?, 'update', ?, ?, ?, 'pending', ?)",
        (str(uuid.uuid4()), op.channel_id, op.escalation_id, json.dumps(taken_back),
         json.dumps({f: op.payload[f] for f in taken_back}),
         remote_version if remote_version is not None else op.base_version, to_epoch(now)))
    apply_fields(db, op.escalation_id, taken_back, now)  # the push's echo showed theirs
    audit(db, "sync", "requeued_taken_back", now, op.escalation_id, op.channel_id,
          op_id=op.op_id, fields=sorted(taken_back))


def mark_retry(db: sqlite3.Connection, op: OutboxOp, error: str, next_attempt_at: int,
               count_attempt: bool = True) -> None:
    db.execute(
        "UPDATE outbox SET attempts = attempts + ?, next_attempt_at = ?, last_error = ? "
        "WHERE seq = ?", (1 if count_attempt else 0, next_attempt_at, error, op.seq))


def mark_dead(db: sqlite3.Connection, op: OutboxOp, error: str, now: datetime) -> None:
    db.execute("UPDATE outbox SET state = 'dead', last_error = ? WHERE seq = ?",
               (error, op.seq))
    audit(db, "sync", "op_dead", now, op.escalation_id, op.channel_id, op_id=op.op_id,
          error=error)


def rebase(db: sqlite3.Connection, op: OutboxOp, payload: dict[str, Any],
           base: dict[str, Any], base_version: int) -> None:
    """Re-target an op at the server's current version (disjoint remote changes). An op
    amended or cancelled since it was read is left alone: its next push re-evaluates."""
    db.execute("UPDATE outbox SET payload = ?, base = ?, base_version = ? WHERE seq = ? "
               "AND payload = ? AND state = 'pending'",
               (json.dumps(payload), json.dumps(base), base_version, op.seq, op.raw_payload))


def mark_conflict(db: sqlite3.Connection, op: OutboxOp,
                  fields: dict[str, tuple[Any, Any, Any]], theirs_version: int, now: datetime,
                  remaining: dict[str, Any], remaining_base: dict[str, Any]) -> None:
    """The source changed the same field: record (base, mine, theirs) per field. The op
    waits for the analyst (never last-writer-wins), holding the conflicting fields and any
    other fields still to push (`remaining`, rebased on their version)."""
    now_s = to_epoch(now)
    payload = {**remaining, **{f: mine for f, (_, mine, _) in fields.items()}}
    base = {**remaining_base, **{f: b for f, (b, _, _) in fields.items()}}
    if not db.execute("UPDATE outbox SET state = 'conflict', payload = ?, base = ?, "
                      "base_version = ? WHERE seq = ? AND payload = ? AND state = 'pending'",
                      (json.dumps(payload), json.dumps(base), theirs_version, op.seq,
                       op.raw_payload)).rowcount:
        return  # amended or cancelled since it was read: the next push re-evaluates
    for field, (b, mine, theirs) in fields.items():
        db.execute(
            "INSERT INTO conflict (escalation_id, op_id, field, base, mine, theirs, "
            "theirs_version, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (op.escalation_id, op.op_id, field, json.dumps(b), json.dumps(mine),
             json.dumps(theirs), theirs_version, now_s))
        db.execute(
            "INSERT INTO escalation_event (escalation_id, at, kind, field, old, new, reason, "
            "source) VALUES (?, ?, 'conflict', ?, ?, ?, ?, 'sync')",
            (op.escalation_id, now_s, field, json.dumps(theirs), json.dumps(mine),
             "changed on the source too: choose mine, theirs or edit"))
    audit(db, "sync", "conflict", now, op.escalation_id, op.channel_id, op_id=op.op_id,
          fields=sorted(fields))
