"""Incidents as lists see them: one row per incident, refolded from its shared event log
after every change (store/incident_log.py, docs/incidents.md). Created from triage (`f`:
add to / create incident) or the incident list."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from . import incident_log

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
                    incident_id: int | None = None, uid: str | None = None) -> int:
    """Declare an active incident; its local id. Redo passes the id and uid it had."""
    return incident_log.declare(db, clean_title(title), actor, now, incident_id=incident_id,
                                uid=uid)[0]


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
    where = ["i.status != 'closed'"] if open_only else []
    args: list[object] = []
    if text.strip():
        where.append("i.title LIKE ? ESCAPE '\\'")
        escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        args.append(f"%{escaped}%")
    sql = _SELECT + (("WHERE " + " AND ".join(where)) if where else "")
    return [Incident(*r) for r in db.execute(sql + " ORDER BY i.id DESC LIMIT ?",
                                             [*args, limit])]


def delete_if_unused(db: sqlite3.Connection, incident_id: int) -> bool:
    """Remove an incident no escalation is in and nobody else has seen (the undo of the
    batch that declared it)."""
    return incident_log.forget_unpushed(db, incident_id)
