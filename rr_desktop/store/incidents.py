"""Incidents as local records: a major event grouping escalations (docs/domain.md). Created from
triage (`f`: add to / create incident); the incident workspace builds on these rows."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from .timecodec import to_epoch

MAX_TITLE = 300


@dataclass(frozen=True, slots=True)
class Incident:
    """One incident and how many cached escalations are linked to it."""

    id: int
    title: str
    status: str
    created_at: int
    created_by: str
    escalations: int = 0


def clean_title(title: str) -> str:
    """The title as stored; ValueError (a sentence) when it cannot be one."""
    cleaned = " ".join(title.split())
    if not cleaned:
        raise ValueError("An incident needs a title: say what is happening in a few words.")
    if len(cleaned) > MAX_TITLE:
        raise ValueError(f"An incident title can be at most {MAX_TITLE} characters.")
    return cleaned


def create_incident(db: sqlite3.Connection, title: str, actor: str, now: datetime,
                    incident_id: int | None = None) -> int:
    """Insert an open incident (with `incident_id` when re-creating one on redo)."""
    cur = db.execute(
        "INSERT INTO incident (id, title, status, created_at, created_by) "
        "VALUES (?, ?, 'open', ?, ?)", (incident_id, clean_title(title), to_epoch(now), actor))
    assert cur.lastrowid is not None
    return cur.lastrowid


_SELECT = (
    "SELECT i.id, i.title, i.status, i.created_at, i.created_by, "
    "(SELECT count(*) FROM escalation e WHERE e.incident_id = i.id) FROM incident i "
)


def get_incident(db: sqlite3.Connection, incident_id: int) -> Incident | None:
    row = db.execute(_SELECT + "WHERE i.id = ?", (incident_id,)).fetchone()
    return None if row is None else Incident(*row)


def list_incidents(db: sqlite3.Connection, open_only: bool = True, text: str = "",
                   limit: int = 200) -> list[Incident]:
    """Incidents for the picker, newest first; `text` filters titles (case-insensitive)."""
    where = ["i.status = 'open'"] if open_only else []
    args: list[object] = []
    if text.strip():
        where.append("i.title LIKE ? ESCAPE '\\'")
        escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        args.append(f"%{escaped}%")
    sql = _SELECT + (("WHERE " + " AND ".join(where)) if where else "")
    return [Incident(*r) for r in db.execute(sql + " ORDER BY i.id DESC LIMIT ?",
                                             [*args, limit])]


def delete_if_unused(db: sqlite3.Connection, incident_id: int) -> bool:
    """Remove an incident no escalation refers to (undo of the batch that created it)."""
    return bool(db.execute(
        "DELETE FROM incident WHERE id = ? AND NOT EXISTS (SELECT 1 FROM escalation "
        "WHERE incident_id = ?)", (incident_id, incident_id)).rowcount)
