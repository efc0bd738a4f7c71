"""Conflicts between a local edit and a change on the source (docs/sync.md: a same-field
conflict is recorded, never overwritten) and their resolution by the analyst.

A conflicting op waits in state 'conflict' holding (base, mine, theirs) per field. The
analyst keeps mine (pushed again, now based on their version), takes theirs (the field
leaves the op; the cache shows their value) or edits a third value. When the last open
conflict of an op is resolved, the op is pending again, or done if nothing is left to push.
Every resolution is a timeline event and an audit entry: nothing is discarded silently.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from . import fts
from .local_edits import apply_fields, encode_field
from .outbox import audit
from .timecodec import to_epoch

Resolution = Literal["mine", "theirs", "edit"]


@dataclass(frozen=True, slots=True)
class OpenConflict:
    """One field both sides changed, waiting for the analyst."""

    id: int
    escalation_id: int
    title: str
    channel: str
    field: str
    base: Any
    mine: Any
    theirs: Any
    detected_at: int
    external_id: str = ""  # the source's id of the escalation


def open_conflicts(db: sqlite3.Connection, limit: int = 500) -> list[OpenConflict]:
    rows = db.execute(
        "SELECT k.id, k.escalation_id, e.title, c.name, k.field, k.base, k.mine, k.theirs, "
        "k.detected_at, e.external_id FROM conflict k JOIN escalation e "
        "ON e.id = k.escalation_id "
        "JOIN channel c ON c.id = e.channel_id WHERE k.resolved_at IS NULL "
        "ORDER BY k.detected_at, k.id LIMIT ?", (limit,)).fetchall()
    return [OpenConflict(r[0], r[1], r[2], r[3], r[4], _load(r[5]), _load(r[6]), _load(r[7]),
                         r[8], r[9]) for r in rows]


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


class ConflictGone(LookupError):
    """The conflict was already resolved (e.g. in another window)."""


def resolve_conflict(db: sqlite3.Connection, conflict_id: int, resolution: Resolution,
                     actor: str, now: datetime, value: Any = None) -> int:
    """Resolve one open conflict inside the caller's transaction; returns the
    escalation id (whose row changed)."""
    if resolution not in ("mine", "theirs", "edit"):
        raise ValueError(f"unknown resolution {resolution!r}")
    row = db.execute(
        "SELECT escalation_id, op_id, field, mine, theirs FROM conflict "
        "WHERE id = ? AND resolved_at IS NULL", (conflict_id,)).fetchone()
    if row is None:
        raise ConflictGone(f"conflict {conflict_id} is already resolved")
    esc_id, op_id, field, mine_text, theirs_text = row
    mine, theirs = _load(mine_text), _load(theirs_text)
    op = db.execute("SELECT seq, payload, base FROM outbox WHERE op_id = ?",
                    (op_id,)).fetchone()
    chosen = {"mine": mine, "theirs": theirs, "edit": value}[resolution]
    if op is not None:
        seq, payload_text, base_text = op
        payload, base = json.loads(payload_text), json.loads(base_text)
        if resolution == "theirs":
            payload.pop(field, None)
            base.pop(field, None)
        else:
            payload[field] = chosen
            base[field] = theirs  # the source holds theirs now: push over it knowingly
        db.execute("UPDATE outbox SET payload = ?, base = ? WHERE seq = ?",
                   (json.dumps(payload), json.dumps(base), seq))
    _column(field)
    changes = apply_fields(db, esc_id, {field: chosen}, now)  # re-derives priority too
    old = changes[field][0] if field in changes else encode_field(field, chosen)
    if field == "tags":
        title, body, tags = db.execute("SELECT title, body, tags FROM escalation WHERE id = ?",
                                       (esc_id,)).fetchone()
        fts.replace_row(db, esc_id, (title, body, tags))
    now_s = to_epoch(now)
    db.execute("UPDATE conflict SET resolved_at = ?, resolution = ? WHERE id = ?",
               (now_s, resolution, conflict_id))
    db.execute(
        "INSERT INTO escalation_event (escalation_id, at, kind, field, old, new, reason, "
        "author, source) VALUES (?, ?, 'conflict_resolved', ?, ?, ?, ?, ?, 'local')",
        (esc_id, now_s, field, None if old is None else str(old), json.dumps(chosen),
         f"kept {resolution}" if resolution != "edit" else "edited", actor))
    audit(db, actor, "conflict_resolved", now, esc_id, None, conflict_id=conflict_id,
          field=field, resolution=resolution, value=chosen)
    if op is not None:
        _release_op(db, op_id, now_s)
    return int(esc_id)


def _column(field: str) -> str:
    if field not in ("status", "assignee", "severity", "urgency", "tags"):
        raise ValueError(f"not an editable field: {field!r}")
    return field


def _release_op(db: sqlite3.Connection, op_id: str, now_s: int) -> None:
    still_open = db.execute("SELECT count(*) FROM conflict WHERE op_id = ? "
                            "AND resolved_at IS NULL", (op_id,)).fetchone()[0]
    if still_open:
        return
    payload = json.loads(db.execute("SELECT payload FROM outbox WHERE op_id = ?",
                                    (op_id,)).fetchone()[0])
    if payload:
        db.execute("UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = 0, "
                   "last_error = NULL WHERE op_id = ?", (op_id,))
    else:
        db.execute("UPDATE outbox SET state = 'done', done_at = ?, "
                   "last_error = 'nothing left to push: the source value was kept' "
                   "WHERE op_id = ?", (now_s, op_id))
