"""Small reads behind the pickers (analysts, incidents, tags): primary-key or small-table
lookups (< 1 ms), on any read connection."""

from __future__ import annotations

import sqlite3


def analyst_names(db: sqlite3.Connection, limit: int = 2000) -> list[tuple[str, str]]:
    """(id, name) of the roster, by name."""
    return [(str(a), str(n)) for a, n in db.execute(
        "SELECT id, name FROM analyst ORDER BY name LIMIT ?", (limit,))]


def incident_titles(db: sqlite3.Connection, limit: int = 500) -> list[tuple[int, str]]:
    """(id, title) of incidents, newest first."""
    return [(int(i), str(t)) for i, t in db.execute(
        "SELECT id, title FROM incident ORDER BY id DESC LIMIT ?", (limit,))]


def tags_of(db: sqlite3.Connection, esc_id: int) -> list[str]:
    row = db.execute("SELECT tags FROM escalation WHERE id = ?", (esc_id,)).fetchone()
    return [t for t in str(row[0] or "").split() if t] if row else []


def escalation_ref(db: sqlite3.Connection, esc_id: int) -> tuple[str, str] | None:
    """(the source's id, title) of escalation `esc_id`: how prompts name it."""
    row = db.execute("SELECT external_id, title FROM escalation WHERE id = ?",
                     (esc_id,)).fetchone()
    return None if row is None else (str(row[0]), str(row[1]))


def external_ids(db: sqlite3.Connection, ids: list[int]) -> dict[int, str]:
    """The source's id of each escalation of `ids` (primary-key reads)."""
    out: dict[int, str] = {}
    for esc_id in ids:
        row = db.execute("SELECT external_id FROM escalation WHERE id = ?",
                         (esc_id,)).fetchone()
        if row is not None:
            out[esc_id] = str(row[0])
    return out


def find_by_external_id(db: sqlite3.Connection, external_id: str) -> list[int]:
    """Cached escalations with the source's id `external_id` (one per channel that has
    it), oldest first."""
    return [int(r[0]) for r in db.execute(
        "SELECT id FROM escalation WHERE external_id = ? ORDER BY id LIMIT 10",
        (external_id.strip(),))]
