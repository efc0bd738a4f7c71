"""Applying field edits to a cached escalation (local actions and pending-edit rebase).

Priority is re-derived whenever severity or urgency changes, and the change is recorded
with its reasons; SLA milestones and deadlines follow status and severity
(store/sla_sql.py). The caller owns the transaction and the FTS row of the escalation.

Two kinds of fields:
- EDITABLE_FIELDS belong to the source: a local edit is optimistic and goes to the outbox
  (outbox.record_local_update).
- LOCAL_FIELDS are the analyst's own triage state, not queued themselves:
  `snoozed_until` (a personal reminder), `duplicate_of` (a source that takes it gets the
  canonical's own id with the status "duplicate", docs/push-matrix.md), `queue` (a local
  team column) and `incident_id` (an incident's own log, store/incident_log.py, hears
  of every change of it as a link or unlink event). `apply_local_fields`
  writes them with a timeline event.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..domain import PriorityFacts, ReporterType, Severity, Urgency, assess_priority
from . import incident_log, sla_sql
from .timecodec import from_epoch, to_epoch

EDITABLE_FIELDS = ("status", "assignee", "severity", "urgency", "tags")
LOCAL_FIELDS = ("snoozed_until", "duplicate_of", "queue", "incident_id")


def encode_field(field: str, value: Any) -> Any:
    """The column value of a wire/payload field value."""
    if field == "tags":
        return " ".join(value) if isinstance(value, list | tuple) else str(value or "")
    if field in ("severity", "urgency"):
        return int(str(value).lstrip("SUsu")) if value is not None else None
    return value


def apply_fields(db: sqlite3.Connection, esc_id: int, fields: dict[str, Any],
                 now: datetime, sla_at: int | None = None) -> dict[str, tuple[Any, Any]]:
    """Set editable fields; returns {field: (old, new)} for what really changed.
    `sla_at` dates a status change for the SLA clocks (default: now)."""
    cols = [f for f in fields if f in EDITABLE_FIELDS]
    if not cols:
        return {}
    row = db.execute(
        f"SELECT {', '.join(cols)}, severity, urgency, deadline_at, views, shares, "
        "reporter_type, priority FROM escalation WHERE id = ?", (esc_id,)).fetchone()
    if row is None:
        return {}
    changes: dict[str, tuple[Any, Any]] = {}
    for i, col in enumerate(cols):
        new = encode_field(col, fields[col])
        if row[i] != new:
            changes[col] = (row[i], new)
    if not changes:
        return {}
    sets = ", ".join(f"{c} = ?" for c in changes)
    db.execute(f"UPDATE escalation SET {sets} WHERE id = ?",
               [v[1] for v in changes.values()] + [esc_id])
    if "status" in changes or "severity" in changes:
        sla_sql.recompute_row(db, esc_id, to_epoch(now) if sla_at is None else sla_at)
    if "severity" in changes or "urgency" in changes:
        sev, urg, deadline, views, shares, rtype, old_pri = row[len(cols):]
        sev = changes.get("severity", (sev, sev))[1]
        urg = changes.get("urgency", (urg, urg))[1]
        assessment = assess_priority(
            PriorityFacts(Severity(sev), Urgency(urg),
                          from_epoch(deadline) if deadline else None, views, shares,
                          ReporterType(rtype)), now)
        if int(assessment.priority) != old_pri:
            raised_at = to_epoch(now) if assessment.priority < old_pri else None
            db.execute(
                "UPDATE escalation SET priority = ?, priority_reasons = ?, "
                "priority_raised_at = coalesce(?, priority_raised_at) WHERE id = ?",
                (int(assessment.priority), json.dumps(assessment.reasons), raised_at,
                 esc_id))
            changes["priority"] = (old_pri, int(assessment.priority))
    return changes


def decode_field(field: str, value: Any) -> Any:
    """The wire/payload value of a column value (inverse of encode_field)."""
    if value is None:
        return None
    if field == "tags":
        return [t for t in str(value).split() if t]
    if field == "severity":
        return f"S{int(value)}"
    if field == "urgency":
        return f"U{int(value)}"
    return value


def apply_local_fields(db: sqlite3.Connection, esc_id: int, fields: dict[str, Any],
                       actor: str, reason: str | None, now: datetime,
                       carried: Mapping[str, str] | None = None) -> dict[str, tuple[Any, Any]]:
    """Set local-only fields (column values), with a timeline event per changed field;
    returns {field: (old, new)}. Nothing is queued for them; `carried` names the outbox
    op that takes a field's value to the source with another change ({field: op id}: a
    duplicate's canonical goes with its status), so its event tells that op's fate."""
    cols = [f for f in fields if f in LOCAL_FIELDS]
    if not cols:
        return {}
    row = db.execute(f"SELECT {', '.join(cols)} FROM escalation WHERE id = ?",
                     (esc_id,)).fetchone()
    if row is None:
        return {}
    changes = {c: (row[i], fields[c]) for i, c in enumerate(cols) if row[i] != fields[c]}
    if not changes:
        return {}
    db.execute(f"UPDATE escalation SET {', '.join(f'{c} = ?' for c in changes)} WHERE id = ?",
               [new for _, new in changes.values()] + [esc_id])
    if "incident_id" in changes:  # the incidents' shared logs hear of it (docs/incidents.md)
        incident_log.membership_changed(db, esc_id, *changes["incident_id"], actor, now)
    now_s = to_epoch(now)
    db.executemany(
        "INSERT INTO escalation_event (escalation_id, at, kind, field, old, new, reason, "
        "author, source, op_id) VALUES (?, ?, 'field_change', ?, ?, ?, ?, ?, 'local', ?)",
        [(esc_id, now_s, f, local_text(f, old), local_text(f, new), reason, actor,
          (carried or {}).get(f)) for f, (old, new) in changes.items()])
    return changes


def local_text(field: str, value: Any) -> str | None:
    """How a local field's value reads in the timeline."""
    if value is None:
        return None
    if field == "snoozed_until":
        return from_epoch(int(value)).strftime("%Y-%m-%d %H:%M UTC")
    if field in ("duplicate_of", "incident_id"):
        return f"#{value}"
    return str(value)
