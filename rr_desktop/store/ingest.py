"""Merging a page of remote escalations into the cache, set-based, in the caller's
transaction (SYNC.md rules 2, 3, 12, 13).

Per page: stage the rows in a temp table, drop the ones the cache already holds at the
same or a newer remote_version (replays and out-of-order pages change nothing), record
field changes in the timeline, upsert with a version guard, re-apply the analyst's pending
local edits on top (they stay visible until pushed), and keep FTS5 in step (re-indexing
only rows whose title, body or tags changed). The raw
sqlite3 connection is used because per-statement overhead dominates here
(PERFORMANCE.md: SQLAlchemy Core upserts run at 0.56x raw).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import msgspec

from ..channels.base import Incoming, Quarantined
from ..domain import Escalation, PriorityFacts, assess_priority
from ..domain.sla import SlaPolicy
from . import fts, sla_sql
from .timecodec import to_epoch

STAGE_COLUMNS = (
    "external_id", "remote_version", "payload_hash", "title", "body", "reporter",
    "reporter_type", "category", "market", "region", "language", "severity", "urgency",
    "priority", "priority_reasons", "status", "assignee", "tags", "deadline_at", "views",
    "shares", "content_url", "facts", "created_at", "updated_at", "body_html",
)
_COLS = ", ".join(STAGE_COLUMNS)
_encode = msgspec.json.Encoder().encode
_UPDATABLE = [c for c in STAGE_COLUMNS if c != "external_id"]
_MATCH = "e.channel_id = :channel AND e.external_id = s.external_id"
# Fields whose remote changes go to the timeline (priority gets its reasons separately).
_TRACKED = ("status", "severity", "urgency", "assignee")
# What a local-only channel's item keeps from the cache when the source edits it.
_LOCAL_TRIAGE = ("status", "assignee", "severity", "urgency", "tags", "priority",
                 "priority_reasons")

# same_text: the cached row already has this title, body and tags, so its FTS entry stays
# (most remote changes are status, assignee or reach; re-tokenizing is most of the cost).
_STAGE_DDL = (
    f"CREATE TEMP TABLE IF NOT EXISTS stage ({_COLS}, same_text INTEGER NOT NULL DEFAULT 0, "
    "PRIMARY KEY (external_id))"
)
_STAGE_INSERT = f"INSERT INTO stage ({_COLS}) VALUES ({', '.join('?' * len(STAGE_COLUMNS))})"


@lru_cache(maxsize=8)
def _upsert(policy: SlaPolicy) -> str:
    """The page upsert. SLA milestones and deadlines are computed inside it (no extra
    statement, no trigger); a remote status change is dated by the record's updated_at
    (server time)."""
    insert = sla_sql.sla_expressions("stage.status", "stage.severity", "stage.created_at",
                                     "stage.updated_at", None, policy)
    update = sla_sql.sla_expressions("excluded.status", "excluded.severity",
                                     "excluded.created_at", "excluded.updated_at",
                                     lambda c: f"escalation.{c}", policy)
    cols = sla_sql.SLA_COLUMNS
    return (
        f"INSERT INTO escalation (channel_id, synced_at, {_COLS}, {', '.join(cols)}) "
        f"SELECT :channel, :now, {_COLS}, {', '.join(insert[c] for c in cols)} "
        "FROM stage WHERE true "
        "ON CONFLICT (channel_id, external_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in _UPDATABLE) + ", "
        + ", ".join(f"{c} = {update[c]}" for c in cols)
        + ", synced_at = excluded.synced_at, priority_raised_at = CASE "
        "WHEN excluded.priority < escalation.priority THEN excluded.synced_at "
        "ELSE escalation.priority_raised_at END "
        "WHERE excluded.remote_version > escalation.remote_version"
    )


@dataclass(frozen=True, slots=True)
class MergeResult:
    """What a page changed in the cache (the GUI redraws only these ids)."""

    changed_ids: tuple[int, ...]
    stale: int
    quarantined: int


def escalation_row(rec: Escalation, payload_hash: str, now: datetime) -> tuple[object, ...]:
    """The stage row of one record (priority derived here, with its reasons)."""
    assessment = assess_priority(
        PriorityFacts(rec.severity, rec.urgency, rec.deadline_at, rec.views, rec.shares,
                      rec.reporter_type),
        now,
    )
    # Str/IntEnum members bind as their values; msgspec encodes ~3x faster than json.
    return (
        rec.external_id, rec.remote_version, payload_hash, rec.title, rec.body, rec.reporter,
        rec.reporter_type, rec.category, rec.market, rec.region, rec.language, rec.severity,
        rec.urgency, assessment.priority, _encode(assessment.reasons).decode(), rec.status,
        rec.assignee, " ".join(rec.tags),
        to_epoch(rec.deadline_at) if rec.deadline_at else None, rec.views, rec.shares,
        rec.content_url,
        _encode([{"at": to_epoch(f.at), "text": f.text} for f in rec.facts]).decode()
        if rec.facts else "[]",
        to_epoch(rec.created_at), to_epoch(rec.updated_at), rec.body_html,
    )


def _dedupe(items: Iterable[Incoming]) -> list[Incoming]:
    """One row per external id in a page: the highest version wins."""
    best: dict[str, Incoming] = {}
    for item in items:
        seen = best.get(item.record.external_id)
        if seen is None or item.record.remote_version > seen.record.remote_version:
            best[item.record.external_id] = item
    return list(best.values())


def prepare_rows(items: Iterable[Incoming], now: datetime) -> list[tuple[object, ...]]:
    """Stage rows for a page, one per external id (the highest version wins). Pure Python:
    the sync engine runs it on the fetching thread, off the writer lane."""
    return [escalation_row(i.record, i.payload_hash, now) for i in _dedupe(items)]


def merge_page(
    db: sqlite3.Connection,
    channel_id: int,
    items: Sequence[Incoming],
    quarantined: Sequence[Quarantined],
    now: datetime,
    rows: Sequence[tuple[object, ...]] | None = None,
    defer_fts: bool = False,
    keep_local_triage: bool = False,
) -> MergeResult:
    """Merge one page inside the caller's open write transaction (`rows` from
    prepare_rows if the caller made them already). With `defer_fts` (an initial load),
    the FTS index is marked stale instead of updated; see store/fts.py.

    `keep_local_triage`: the channel has no write API (feeds, spreadsheets), so triage
    state lives only here: an edited item keeps its cached status, assignee, severity,
    urgency, tags and priority instead of taking the source's defaults again."""
    if defer_fts:
        fts.mark_stale(db)
    index = not fts.is_stale(db)
    now_s = to_epoch(now)
    params = {"channel": channel_id, "now": now_s}
    db.execute(_STAGE_DDL)
    db.execute("DELETE FROM stage")
    db.executemany(_STAGE_INSERT, prepare_rows(items, now) if rows is None else rows)
    db.execute(
        "DELETE FROM stage WHERE EXISTS (SELECT 1 FROM escalation e WHERE "
        "e.channel_id = :channel AND e.external_id = stage.external_id "
        "AND e.remote_version >= stage.remote_version)", params)
    fresh = db.execute("SELECT count(*) FROM stage").fetchone()[0]
    changed: tuple[int, ...] = ()
    if fresh and keep_local_triage:
        db.execute(
            f"UPDATE stage SET {', '.join(f'{c} = e.{c}' for c in _LOCAL_TRIAGE)} "
            "FROM escalation e WHERE e.channel_id = :channel "
            "AND e.external_id = stage.external_id", params)
    if fresh:
        known = db.execute(
            f"SELECT count(*) FROM stage s CROSS JOIN escalation e ON {_MATCH}", params
        ).fetchone()[0]
        if known:  # updates: timeline events and the old FTS rows out
            _record_remote_changes(db, params)
        if known and index:
            db.execute(
                "UPDATE stage SET same_text = 1 FROM escalation e WHERE e.channel_id = "
                ":channel AND e.external_id = stage.external_id AND e.title IS stage.title "
                "AND e.body IS stage.body AND e.tags IS stage.tags", params)
            db.execute(
                "INSERT INTO escalation_fts (escalation_fts, rowid, title, body, tags) "
                "SELECT 'delete', e.id, e.title, e.body, e.tags "
                f"FROM stage s CROSS JOIN escalation e ON {_MATCH} WHERE s.same_text = 0 "
                "ORDER BY e.id", params)
        db.execute(_upsert(sla_sql.load_policy(db)), params)
        changed = tuple(r[0] for r in db.execute(
            f"SELECT e.id FROM stage s CROSS JOIN escalation e ON {_MATCH}", params))
        if known:
            reapply_pending_edits(db, changed, now)
        if index:  # FTS5 flushes its pending terms whenever a rowid goes backwards
            db.execute(
                "INSERT INTO escalation_fts (rowid, title, body, tags) SELECT e.id, e.title, "
                f"e.body, e.tags FROM stage s CROSS JOIN escalation e ON {_MATCH} "
                "WHERE s.same_text = 0 ORDER BY e.id", params)
    if quarantined:
        db.executemany(
            "INSERT INTO quarantine (channel_id, external_id, reason, raw, received_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(channel_id, q.external_id, q.reason, q.raw, now_s) for q in quarantined])
    return MergeResult(changed, len(items) - fresh, len(quarantined))


def _record_remote_changes(db: sqlite3.Connection, params: dict[str, int]) -> None:
    """Timeline events for tracked fields the source changed (old -> new), one statement."""
    selects = [
        f"SELECT e.id AS id, '{col}' AS field, e.{col} AS old, s.{col} AS new, "
        "'changed on the source' AS reason "
        f"FROM stage s CROSS JOIN escalation e ON {_MATCH} WHERE e.{col} IS NOT s.{col}"
        for col in _TRACKED
    ]
    selects.append(
        "SELECT e.id, 'priority', 'P' || e.priority, 'P' || s.priority, s.priority_reasons "
        f"FROM stage s CROSS JOIN escalation e ON {_MATCH} WHERE e.priority IS NOT s.priority")
    db.execute(
        "INSERT INTO escalation_event (escalation_id, at, kind, field, old, new, reason, "
        "source) SELECT c.id, :now, 'field_change', c.field, c.old, c.new, c.reason, 'remote' "
        "FROM (" + " UNION ALL ".join(selects) + ") AS c",
        params)


def reapply_pending_edits(db: sqlite3.Connection, ids: Sequence[int], now: datetime) -> None:
    """Keep not-yet-pushed local edits visible over newer remote data (rebased, not lost),
    and the analyst's values of fields the source cannot receive (`local_override`).

    Conflicts (the source changed the same field) are detected when the op is pushed.
    """
    if not ids:
        return
    from .local_edits import apply_fields, decode_field  # local: avoids an import cycle

    rows = db.execute(
        "SELECT escalation_id, payload, created_at FROM outbox WHERE op_type = 'update' "
        "AND state IN ('pending', 'conflict') AND escalation_id IN "
        "(SELECT value FROM json_each(?)) ORDER BY seq",
        (json.dumps(list(ids)),)).fetchall()
    for esc_id, payload, edited_at in rows:  # SLA milestones keep the edit's own time
        apply_fields(db, esc_id, json.loads(payload), now, sla_at=edited_at)
    overrides: dict[int, dict[str, Any]] = {}
    for esc_id, field, value, edited_at in db.execute(
            "SELECT escalation_id, field, value, at FROM local_override WHERE escalation_id "
            "IN (SELECT value FROM json_each(?))", (json.dumps(list(ids)),)):
        overrides.setdefault(esc_id, {})[field] = (value, edited_at)
    for esc_id, kept in overrides.items():  # fields the source cannot receive stay ours
        apply_fields(db, esc_id, {f: decode_field(f, v) for f, (v, _) in kept.items()}, now,
                     sla_at=max(at for _, at in kept.values()))
