"""The intake cache's escalations in the rr_api wire shape (docs/hub.md, "Channel sync on
the hub").

The intake cache is a desktop cache: an escalation there is a row decoded from whatever its
channel reads (rr_api, Zendesk, Jira, mail, feeds...). The hub serves every escalation as
rr_api does, so a row goes back to the shape channels/rr_api/records.py decodes: the
inverse of that decoding, the editable fields through the cache's own codec
(store/local_edits.decode_field). Reading the result with the rr_api client gives the same
record the intake cache holds.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from ..demo.wire import iso
from ..domain.sources import source_key_of
from ..store.local_edits import decode_field

# The cache columns a wire record is made of, in this order.
COLUMNS = ("id", "external_id", "remote_version", "title", "body", "reporter",
           "reporter_type", "category", "market", "language", "severity", "urgency",
           "status", "assignee", "tags", "deadline_at", "views", "shares", "content_url",
           "facts", "created_at", "updated_at", "synced_at")
SOURCE_VERSION = "source_version"
SELECT = f"SELECT {', '.join(COLUMNS)} FROM escalation"


@dataclass(frozen=True)
class IntakeChannel:
    """A channel of the intake cache and the source key the hub files its escalations
    under (domain/sources.py: the same key on every desktop)."""

    id: int
    name: str
    kind: str
    source: str

    def api_id(self, external_id: str) -> str:
        """The id the hub serves the escalation under: unique across the team's sources."""
        return f"{self.name}:{external_id}"


def intake_channels(db: sqlite3.Connection) -> list[IntakeChannel]:
    return [IntakeChannel(int(cid), name, kind, source_key_of(kind, config, name))
            for cid, name, kind, config in db.execute(
                "SELECT id, name, kind, config FROM channel ORDER BY name")]


def wire_record(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    """One cache row (columns as COLUMNS) as the rr_api service would serve it."""
    r = dict(zip(COLUMNS, row, strict=True))
    facts = []
    for fact in json.loads(r["facts"] or "[]"):
        # The cache keeps "author: text" in one string (rr_api/records.py joins them);
        # served with an empty author, the desktop reads back the same text.
        facts.append({"at": iso(int(fact["at"])), "text": str(fact["text"]), "author": ""})
    return {
        "id": r["external_id"],
        "version": int(r["remote_version"]),
        "created_at": iso(int(r["created_at"])),
        "updated_at": iso(int(r["updated_at"])),
        "title": r["title"],
        "body": r["body"],
        "reporter": {"name": r["reporter"], "type": r["reporter_type"]},
        "category": r["category"],
        "market": r["market"],
        "language": r["language"],
        "severity": decode_field("severity", r["severity"]),
        "urgency": decode_field("urgency", r["urgency"]),
        "status": r["status"],
        "assignee": r["assignee"],
        "tags": decode_field("tags", r["tags"]) or [],
        "deadline_at": None if r["deadline_at"] is None else iso(int(r["deadline_at"])),
        "reach": {"views": int(r["views"]), "shares": int(r["shares"])},
        "content_url": r["content_url"],
        "facts": facts,
        # The source's own version of what the hub serves: a desktop's change goes to the
        # source on it (the hub's `version` is the hub's).
        SOURCE_VERSION: int(r["remote_version"]),
    }


def rows_since(db: sqlite3.Connection, channel_id: int, synced_at: int,
               after_id: int, limit: int) -> list[tuple[Any, ...]]:
    """Rows of a channel written by sync at or after `synced_at`, in (synced_at, id)
    order, starting after row `after_id` within that second (keyset paging). A row with
    a change still queued for its source, or one answered but not settled by the hub
    yet, shows that change optimistically: it is left out, and copied when the change
    settles (intake.py)."""
    return db.execute(
        f"{SELECT} WHERE channel_id = ? AND (synced_at > ? OR (synced_at = ? AND id > ?)) "
        "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.escalation_id = escalation.id "
        "AND (o.state IN ('pending', 'conflict') OR EXISTS (SELECT 1 FROM store_meta m "
        "WHERE m.key = 'hub.op:' || o.op_id))) ORDER BY synced_at, id LIMIT ?",
        (channel_id, synced_at, synced_at, after_id, limit)).fetchall()


def row_of(db: sqlite3.Connection, escalation_id: int) -> tuple[Any, ...] | None:
    found: tuple[Any, ...] | None = db.execute(f"{SELECT} WHERE id = ?",
                                               (escalation_id,)).fetchone()
    return found
