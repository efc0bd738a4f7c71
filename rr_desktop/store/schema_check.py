"""Is the cache's schema whole? Checked at every open, after migration, in one query.

A cache at the current revision can still be missing a table (dropped by hand, a tool, a
half-restored backup); every query on it would then fail with a traceback somewhere
later. Store.open compares what the file holds with what this build expects and refuses
a damaged schema with the same advice as a damaged file (move it away, resync).

`EXPECTED` mirrors store/schema.py (a test checks it against the SQLAlchemy metadata;
schema.py itself is not imported here, SQLAlchemy's import would slow start-up).
"""

from __future__ import annotations

import sqlite3

# table -> its columns, space separated (every migration up to migrate.HEAD_REVISION).
EXPECTED: dict[str, str] = {
    "analyst": "id name email languages markets skills shift_zone shift_hours capacity",
    "audit_log": "id at actor action escalation_id channel_id detail",
    "channel": (
        "id name kind config enabled last_success_at last_attempt_at "
        "last_remote_time last_error last_error_at rate_limited_until "
        "lease_owner lease_until last_outcome last_outcome_at pushes"),
    "conflict": (
        "id escalation_id op_id field base mine theirs theirs_version "
        "detected_at resolved_at resolution"),
    "escalation": (
        "id channel_id external_id remote_version payload_hash title body "
        "reporter reporter_type category market region language severity "
        "urgency priority priority_reasons priority_raised_at status assignee "
        "tags deadline_at views shares content_url facts created_at updated_at "
        "synced_at snoozed_until incident_id duplicate_of queue "
        "acknowledged_at contained_at resolved_at sla_paused_at sla_paused_s "
        "sla_due_at sla_risk_at body_html"),
    "escalation_event": "id escalation_id at kind field old new reason author source op_id",
    "incident": ("id title status created_at created_by uid type severity priority "
                 "markets updated_at conflicts"),
    "incident_event": "n uid incident_uid seq kind at body state channel_id attempts last_error",
    "local_override": "escalation_id field value at",
    "outbox": (
        "seq op_id channel_id escalation_id op_type payload base base_version "
        "attempts next_attempt_at state last_error created_at done_at context"),
    "quarantine": (
        "id channel_id external_id reason raw received_at fingerprint "
        "seen_count last_seen_at"),
    "saved_view": "id name query position",
    "sla_policy": "severity acknowledge_s contain_s resolve_s at_risk_pct",
    "store_meta": "key value",
    "sync_cursor": "channel_id scope cursor updated_at",
    "undo_batch": "id at actor kind description state detail",
    "undo_item": "id batch_id escalation_id before after message",
}
FTS_TABLE = "escalation_fts"


def schema_problem(db: sqlite3.Connection) -> str | None:
    """What is missing from the cache's schema, in a few words, or None when whole.
    Extra tables or columns (a newer build's additive revision) are fine. Only the
    schema is read: the FTS table is looked up by name, never opened (its constructor
    reads its pages, and a damaged index is the background quick_check's to report)."""
    present = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    missing_tables = sorted(t for t in [*EXPECTED, FTS_TABLE] if t not in present)
    if missing_tables:
        return f"table {', '.join(missing_tables)} missing"
    for table, columns in EXPECTED.items():
        found = {r[0] for r in db.execute("SELECT name FROM pragma_table_info(?)", (table,))}
        missing = [c for c in columns.split() if c not in found]
        if missing:
            return f"column {', '.join(f'{table}.{c}' for c in missing)} missing"
    return None
