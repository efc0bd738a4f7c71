"""Keeping the FTS5 index in step with escalations, and the initial-load shortcut.

An initial load into an empty cache skips per-page FTS work and rebuilds the index once at
the end (docs/performance.md: bulk insert + rebuild runs ~2x the per-page merge). The
`fts_stale` flag is set in the same transaction as the first unindexed page, so a crash
mid-load leaves it set and the next run (or start-up) rebuilds before anything touches the
index: deleting a row the index never saw would corrupt an external-content FTS5 table.
"""

from __future__ import annotations

import sqlite3

STALE_KEY = "fts_stale"


def is_stale(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM store_meta WHERE key = ?", (STALE_KEY,)).fetchone() \
        is not None


def mark_stale(db: sqlite3.Connection) -> None:
    db.execute("INSERT OR REPLACE INTO store_meta (key, value) VALUES (?, '1')", (STALE_KEY,))


def rebuild(db: sqlite3.Connection) -> None:
    """Rebuild the whole index from the escalation table and clear the flag."""
    db.execute("INSERT INTO escalation_fts (escalation_fts) VALUES ('rebuild')")
    db.execute("DELETE FROM store_meta WHERE key = ?", (STALE_KEY,))


def replace_row(db: sqlite3.Connection, esc_id: int, old: tuple[str, str, str]) -> None:
    """Re-index one escalation after a local edit (old = its previous title, body, tags)."""
    if is_stale(db):
        return  # the pending rebuild will index it
    db.execute("INSERT INTO escalation_fts (escalation_fts, rowid, title, body, tags) "
               "VALUES ('delete', ?, ?, ?, ?)", (esc_id, *old))
    db.execute("INSERT INTO escalation_fts (rowid, title, body, tags) "
               "SELECT id, title, body, tags FROM escalation WHERE id = ?", (esc_id,))
