"""Quarantined records: one row per bad record or payload, counted (docs/sync.md rule 12).

A record a channel could not validate, or the cache could not store, is kept with its
reason and a size-capped raw copy. The row is named by its fingerprint: `id:<external
id>` for a record that has one (a bad record stays one row however often it comes back,
with its latest reason and payload), else `raw:<hash of the payload>` (a malformed page,
a refused feed: one row while the server keeps sending the same thing). Each sighting
adds to `seen_count` and moves `last_seen_at`; `received_at` is the first. When a good
version of a quarantined record is stored, its row goes (see ingest.merge_page).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence

from ..domain import Quarantined
from .storable import clean_text

_UPSERT = (
    "INSERT INTO quarantine (channel_id, external_id, reason, raw, received_at, fingerprint, "
    "seen_count, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?) "
    "ON CONFLICT (channel_id, fingerprint) DO UPDATE SET external_id = excluded.external_id, "
    "reason = excluded.reason, raw = excluded.raw, seen_count = seen_count + 1, "
    "last_seen_at = excluded.last_seen_at"
)


def fingerprint(external_id: str | None, raw: str) -> str:
    """What names one quarantined thing (see the module doc)."""
    if external_id:
        return "id:" + external_id
    data = raw.encode("utf-8", "replace")
    return "raw:" + hashlib.blake2b(data, digest_size=16).hexdigest()


def record(db: sqlite3.Connection, channel_id: int, items: Sequence[Quarantined],
           now_s: int) -> None:
    """Add or count each item (inside the caller's transaction). Text is cleaned first:
    a bad record's id, reason and payload are exactly what may not be valid UTF-8."""
    rows = []
    for q in items:
        ext = clean_text(q.external_id) if q.external_id else None
        raw = clean_text(q.raw)
        rows.append((channel_id, ext, clean_text(q.reason), raw, now_s, fingerprint(ext, raw),
                     now_s))
    if rows:
        db.executemany(_UPSERT, rows)


def clear_stored(db: sqlite3.Connection, channel_id: int) -> None:
    """Drop the rows of records the current page stored (the `stage` table holds the
    fresh rows of the page being merged): their problem is gone."""
    if db.execute("SELECT 1 FROM quarantine WHERE channel_id = ? LIMIT 1",
                  (channel_id,)).fetchone():
        db.execute("DELETE FROM quarantine WHERE channel_id = ? AND fingerprint IN "
                   "(SELECT 'id:' || external_id FROM stage)", (channel_id,))
