"""Merging a page of remote escalations into the cache, set-based, in the caller's
transaction (docs/sync.md rules 2, 3, 12, 13).

Per page: stage the rows in a temp table, drop the ones the cache already holds at the
same or a newer remote_version (replays and out-of-order pages change nothing), record
field changes in the timeline, upsert with a version guard, re-apply the analyst's pending
local edits on top (they stay visible until pushed), and keep FTS5 in step (re-indexing
only rows whose title, body or tags changed). The raw
sqlite3 connection is used because per-statement overhead dominates here
(docs/performance.md: SQLAlchemy Core upserts run at 0.56x raw).

One record never fails its page: a record that cannot even be made into a row is
quarantined by `prepare_rows`; a page whose rows do not all bind or merge is rolled back
to its savepoint and merged again with every row through store/storable.py (text made
valid UTF-8, what cannot be stored quarantined with the reason and its raw payload), and
as a last resort one row at a time. Storage failures (disk full, read-only, damaged file)
are not record problems: they propagate.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from functools import lru_cache
from typing import Any

import msgspec

from ..domain import Escalation, Incoming, PriorityFacts, Quarantined, assess_priority
from ..domain.sla import SlaPolicy
from . import fts, sla_sql
from . import quarantine as qr
from .storable import clean_text, int_problem, storable_row
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
# Stage columns the escalation table holds NOT NULL.
_REQUIRED = frozenset(STAGE_COLUMNS) - {"assignee", "deadline_at", "content_url", "body_html"}
# What one record's values can make sqlite3 or SQLite raise while its page is merged;
# anything else (OperationalError: disk full, read-only, locked; corruption) is the
# cache's problem, not the record's, and propagates.
RECORD_ERRORS = (OverflowError, UnicodeError, ValueError, TypeError, sqlite3.IntegrityError,
                 sqlite3.InterfaceError, sqlite3.DataError, sqlite3.ProgrammingError)


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
        rec.content_url, _facts_json(rec) if rec.facts else "[]",
        to_epoch(rec.created_at), to_epoch(rec.updated_at), rec.body_html,
    )


def _facts_json(rec: Escalation) -> str:
    facts = [{"at": to_epoch(f.at), "text": f.text} for f in rec.facts]
    try:
        return _encode(facts).decode()
    except UnicodeEncodeError:  # the one text msgspec sees before the boundary
        return _encode([{**f, "text": clean_text(str(f["text"]))} for f in facts]).decode()


@dataclass(frozen=True, slots=True)
class StagedRows:
    """A page made into stage rows (`sources[i]` is the record of `rows[i]`), and the
    records that could not be made into one."""

    rows: list[tuple[object, ...]]
    sources: list[Incoming]
    quarantined: list[Quarantined]


def _dedupe(items: Iterable[Incoming], bad: list[Quarantined]) -> list[Incoming]:
    """One row per external id in a page: the highest version wins. A record whose id is
    not text or whose version is not an integer (a channel's bug) goes to `bad`."""
    best: dict[str, Incoming] = {}
    for item in items:
        rec = item.record
        if not isinstance(rec.external_id, str) or not isinstance(rec.remote_version, int):
            bad.append(refused(item, "the record has no usable id or version"))
            continue
        seen = best.get(rec.external_id)
        if seen is None or rec.remote_version > seen.record.remote_version:
            best[rec.external_id] = item
    return list(best.values())


def prepare_rows(items: Iterable[Incoming], now: datetime) -> StagedRows:
    """Stage rows for a page, one per external id (the highest version wins). Pure Python:
    the sync engine runs it on the fetching thread, off the writer lane."""
    rows: list[tuple[object, ...]] = []
    sources: list[Incoming] = []
    bad: list[Quarantined] = []
    for item in _dedupe(items, bad):
        try:
            rows.append(escalation_row(item.record, item.payload_hash, now))
        except Exception as exc:  # any surprise in one record is that record's own
            bad.append(refused(item, _record_problem(item.record) or _reason(exc)))
            continue
        sources.append(item)
    return StagedRows(rows, sources, bad)


def _record_problem(rec: Escalation) -> str | None:
    for name in ("remote_version", "views", "shares"):
        problem = int_problem(name, getattr(rec, name, None))
        if problem:
            return problem
    return None


def _reason(exc: BaseException) -> str:
    return f"could not be stored: {clean_text(str(exc)) or type(exc).__name__}"


def refused(item: Incoming, reason: str) -> Quarantined:
    """A validated record the cache cannot hold, for quarantine with its raw payload (the
    record itself when the channel did not keep the raw bytes)."""
    raw = item.raw
    if raw is None:
        text = _record_text(item.record)
    elif isinstance(raw, bytes):
        text = raw.decode("utf-8", "replace")
    else:
        text = raw
    ext = item.record.external_id if isinstance(item.record.external_id, str) else None
    return Quarantined.of(ext, reason, text)


def _record_text(rec: Escalation) -> str:
    values = {f.name: getattr(rec, f.name) for f in fields(rec)}
    try:
        return json.dumps(values, default=str, ensure_ascii=False)
    except ValueError:  # an int too long to print (CPython's int_max_str_digits)
        return json.dumps({k: v for k, v in values.items() if not isinstance(v, int)},
                          default=str, ensure_ascii=False)


def merge_page(
    db: sqlite3.Connection,
    channel_id: int,
    items: Sequence[Incoming],
    quarantined: Sequence[Quarantined],
    now: datetime,
    rows: StagedRows | None = None,
    defer_fts: bool = False,
    keep_local_triage: bool = False,
) -> MergeResult:
    """Merge one page inside the caller's open write transaction (`rows` from
    prepare_rows if the caller made them already). With `defer_fts` (an initial load),
    the FTS index is marked stale instead of updated; see store/fts.py.

    `keep_local_triage`: the channel has no write API (feeds, spreadsheets), so triage
    state lives only here: an edited item keeps its cached status, assignee, severity,
    urgency, tags and priority instead of taking the source's defaults again.

    Records that cannot be stored are quarantined (see the module doc), never raised."""
    staged = prepare_rows(items, now) if rows is None else rows
    bad = [*quarantined, *staged.quarantined]
    merge = _Merge(db, channel_id, now, defer_fts, keep_local_triage)
    db.execute("SAVEPOINT merge_page")
    try:
        try:
            changed, fresh = merge.rows(staged.rows)
        except RECORD_ERRORS:
            db.execute("ROLLBACK TO merge_page")
            changed, fresh = merge.row_by_row(staged, bad)
    except BaseException:
        db.execute("ROLLBACK TO merge_page")
        db.execute("RELEASE merge_page")
        raise
    db.execute("RELEASE merge_page")
    qr.record(db, channel_id, bad, to_epoch(now))
    return MergeResult(changed, len(items) - fresh - len(bad) + len(quarantined), len(bad))


class _Merge:
    """The set-based merge of stage rows, and its careful fallback."""

    def __init__(self, db: sqlite3.Connection, channel_id: int, now: datetime,
                 defer_fts: bool, keep_local: bool) -> None:
        self.db = db
        self.channel_id = channel_id
        self.now = now
        self.defer_fts = defer_fts
        self.keep_local = keep_local

    def row_by_row(self, staged: StagedRows,
                   bad: list[Quarantined]) -> tuple[tuple[int, ...], int]:
        """Every row through the storable boundary, then the page again; if that still
        fails, one row at a time, each in its own savepoint."""
        good: list[tuple[object, ...]] = []
        sources: list[Incoming] = []
        for row, source in zip(staged.rows, staged.sources, strict=True):
            result = storable_row(STAGE_COLUMNS, _REQUIRED, row)
            if isinstance(result, str):
                bad.append(refused(source, result))
            else:
                good.append(result)
                sources.append(source)
        try:
            return self.rows(good)
        except RECORD_ERRORS:
            self.db.execute("ROLLBACK TO merge_page")
        changed: list[int] = []
        fresh = 0
        for row, source in zip(good, sources, strict=True):
            self.db.execute("SAVEPOINT merge_row")
            try:
                ids, n = self.rows([row])
            except RECORD_ERRORS as exc:
                self.db.execute("ROLLBACK TO merge_row")
                bad.append(refused(source, _reason(exc)))
            else:
                changed.extend(ids)
                fresh += n
            self.db.execute("RELEASE merge_row")
        return tuple(changed), fresh

    def rows(self, rows: Sequence[tuple[object, ...]]) -> tuple[tuple[int, ...], int]:
        """Merge stage rows set-based; (changed escalation ids, rows that were fresh)."""
        db = self.db
        if self.defer_fts:
            fts.mark_stale(db)
        index = not fts.is_stale(db)
        params = {"channel": self.channel_id, "now": to_epoch(self.now)}
        db.execute(_STAGE_DDL)
        db.execute("DELETE FROM stage")
        db.executemany(_STAGE_INSERT, rows)
        db.execute(
            "DELETE FROM stage WHERE EXISTS (SELECT 1 FROM escalation e WHERE "
            "e.channel_id = :channel AND e.external_id = stage.external_id "
            "AND e.remote_version >= stage.remote_version)", params)
        fresh = db.execute("SELECT count(*) FROM stage").fetchone()[0]
        if not fresh:
            return (), 0
        if self.keep_local:
            db.execute(
                f"UPDATE stage SET {', '.join(f'{c} = e.{c}' for c in _LOCAL_TRIAGE)} "
                "FROM escalation e WHERE e.channel_id = :channel "
                "AND e.external_id = stage.external_id", params)
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
            reapply_pending_edits(db, changed, self.now)
        if index:  # FTS5 flushes its pending terms whenever a rowid goes backwards
            db.execute(
                "INSERT INTO escalation_fts (rowid, title, body, tags) SELECT e.id, e.title, "
                f"e.body, e.tags FROM stage s CROSS JOIN escalation e ON {_MATCH} "
                "WHERE s.same_text = 0 ORDER BY e.id", params)
        qr.clear_stored(db, self.channel_id)
        return changed, fresh


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
