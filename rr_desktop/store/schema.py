"""The cache's tables (SQLAlchemy Core). Changes here need an Alembic migration.

Timestamps are stored as integer Unix seconds (UTC): they sort, index and compare cheaply
in SQLite and never carry a local time zone.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

channel = Table(
    "channel",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, nullable=False, unique=True),
    Column("kind", String, nullable=False),
    Column("config", Text, nullable=False, server_default="{}"),  # JSON, never secrets
    Column("enabled", Integer, nullable=False, server_default="1"),
    Column("last_success_at", Integer),
    Column("last_attempt_at", Integer),
    Column("last_remote_time", Integer),
    Column("last_error", Text),
    Column("last_error_at", Integer),
    Column("rate_limited_until", Integer),
    Column("lease_owner", String),
    Column("lease_until", Integer),
    # 0004: what the last finished run ended with: ok | failed | rate_limited | cancelled.
    Column("last_outcome", String),
    Column("last_outcome_at", Integer),
    # 0005: what the channel kind sends to its source (JSON list; NULL: everything).
    Column("pushes", Text),
)

sync_cursor = Table(
    "sync_cursor",
    metadata,
    Column("channel_id", Integer, ForeignKey("channel.id", ondelete="CASCADE"),
           primary_key=True),
    Column("scope", String, primary_key=True),
    Column("cursor", Text),
    Column("updated_at", Integer, nullable=False),
)

analyst = Table(
    "analyst",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("email", String, nullable=False, server_default=""),
    Column("languages", String, nullable=False, server_default=""),
    Column("markets", String, nullable=False, server_default=""),
    # 0006: the team's own fields, never written by a roster sync (store/roster.py).
    Column("skills", Text, nullable=False, server_default=""),  # policy areas, spaced
    Column("shift_zone", String, nullable=False, server_default=""),  # IANA zone
    Column("shift_hours", Text, nullable=False, server_default=""),  # "Mon-Fri 09:00-18:00"
    Column("capacity", Integer),  # most open items; NULL: not set
)

escalation = Table(
    "escalation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel_id", Integer, ForeignKey("channel.id", ondelete="CASCADE"),
           nullable=False),
    Column("external_id", String, nullable=False),
    Column("remote_version", Integer, nullable=False),
    Column("payload_hash", String, nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("reporter", String, nullable=False),
    Column("reporter_type", String, nullable=False),
    Column("category", String, nullable=False),
    Column("market", String, nullable=False),
    Column("region", String, nullable=False),
    Column("language", String, nullable=False),
    Column("severity", Integer, nullable=False),
    Column("urgency", Integer, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("priority_reasons", Text, nullable=False, server_default="[]"),  # JSON list
    Column("priority_raised_at", Integer),
    Column("status", String, nullable=False),
    Column("assignee", String),
    Column("tags", Text, nullable=False, server_default=""),  # space separated
    Column("deadline_at", Integer),
    Column("views", Integer, nullable=False, server_default="0"),
    Column("shares", Integer, nullable=False, server_default="0"),
    Column("content_url", Text),
    Column("facts", Text, nullable=False, server_default="[]"),  # JSON list
    Column("created_at", Integer, nullable=False),
    Column("updated_at", Integer, nullable=False),
    Column("synced_at", Integer, nullable=False),
    Column("snoozed_until", Integer),
    Column("incident_id", Integer),
    # 0002: local-only triage fields (never pushed) and SLA clocks (see store/sla_sql.py).
    Column("duplicate_of", Integer),
    Column("queue", String),
    Column("acknowledged_at", Integer),
    Column("contained_at", Integer),
    Column("resolved_at", Integer),
    Column("sla_paused_at", Integer),
    Column("sla_paused_s", Integer, nullable=False, server_default="0"),
    Column("sla_due_at", Integer),
    Column("sla_risk_at", Integer),
    # 0003: the body as the source formatted it (untrusted HTML; `body` is its text).
    Column("body_html", Text),
    UniqueConstraint("channel_id", "external_id", name="uq_escalation_channel_external"),
)
# Triage order is (priority, created_at, id); every filter index ends with it so the
# keyset queries of the triage view never sort. Since 0002 the triage index also carries
# the columns search filters on without an index of their own (severity, category,
# channel) and the common ones (status, market), so a walk in triage order filters on the
# index alone (1M rows: 0.1 s instead of 1.1 s); so does the status index, and the
# assignee index carries status (Mine).
# Wider entries cost ingest ~nothing: the upsert rewrites every index entry anyway.
Index("ix_escalation_triage", escalation.c.priority, escalation.c.created_at, escalation.c.id,
      escalation.c.severity, escalation.c.status, escalation.c.category,
      escalation.c.channel_id, escalation.c.market)
Index("ix_escalation_status_triage", escalation.c.status, escalation.c.priority,
      escalation.c.created_at, escalation.c.id, escalation.c.severity, escalation.c.category,
      escalation.c.channel_id, escalation.c.market)
Index("ix_escalation_assignee_triage", escalation.c.assignee, escalation.c.priority,
      escalation.c.created_at, escalation.c.id, escalation.c.status)
Index("ix_escalation_market_triage", escalation.c.market, escalation.c.priority,
      escalation.c.created_at, escalation.c.id)
# 0002: partial indexes hold only the rows they serve (few), so sync pays almost nothing
# for them: snoozed items, open running SLA clocks, local queues, incidents, duplicates.
# The range ones carry the triage order too, so their hits sort without reading rows.
Index("ix_escalation_snoozed", escalation.c.snoozed_until, escalation.c.priority,
      escalation.c.created_at, escalation.c.id, sqlite_where=text("snoozed_until IS NOT NULL"))
Index("ix_escalation_sla_due", escalation.c.sla_due_at, escalation.c.priority,
      escalation.c.created_at, escalation.c.id, sqlite_where=text("sla_due_at IS NOT NULL"))
Index("ix_escalation_sla_risk", escalation.c.sla_risk_at, escalation.c.priority,
      escalation.c.created_at, escalation.c.id, sqlite_where=text("sla_risk_at IS NOT NULL"))
Index("ix_escalation_queue_triage", escalation.c.queue, escalation.c.priority,
      escalation.c.created_at, escalation.c.id, sqlite_where=text("queue IS NOT NULL"))
Index("ix_escalation_incident_triage", escalation.c.incident_id, escalation.c.priority,
      escalation.c.created_at, escalation.c.id, sqlite_where=text("incident_id IS NOT NULL"))
Index("ix_escalation_duplicate_of", escalation.c.duplicate_of,
      sqlite_where=text("duplicate_of IS NOT NULL"))
# 0009: the trends screen's aggregates read a period from this index alone, sorted by
# series so a GROUP BY sorts only within one (trends/queries.py, docs/trends.md).
Index("ix_escalation_trends", escalation.c.category, escalation.c.market,
      escalation.c.channel_id, escalation.c.created_at, escalation.c.region,
      escalation.c.reporter_type, escalation.c.severity, escalation.c.acknowledged_at,
      escalation.c.contained_at, escalation.c.resolved_at, escalation.c.sla_paused_at,
      escalation.c.sla_paused_s)

escalation_event = Table(
    "escalation_event",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("escalation_id", Integer, ForeignKey("escalation.id", ondelete="CASCADE"),
           nullable=False),
    Column("at", Integer, nullable=False),
    Column("kind", String, nullable=False),  # fact | field_change | note | reply | conflict
    Column("field", String),
    Column("old", Text),
    Column("new", Text),
    Column("reason", Text),
    Column("author", String),
    Column("source", String, nullable=False),  # remote | local | sync
    # 0005: the outbox op carrying a local change (NULL: it stays on this machine).
    Column("op_id", String),
)
Index("ix_escalation_event_escalation", escalation_event.c.escalation_id, escalation_event.c.at)

outbox = Table(
    "outbox",
    metadata,
    Column("seq", Integer, primary_key=True),  # FIFO order
    Column("op_id", String, nullable=False, unique=True),  # uuid, the idempotency key
    Column("channel_id", Integer, ForeignKey("channel.id", ondelete="CASCADE"),
           nullable=False),
    Column("escalation_id", Integer, ForeignKey("escalation.id", ondelete="CASCADE"),
           nullable=False),
    Column("op_type", String, nullable=False),  # update | note | reply
    Column("payload", Text, nullable=False),  # JSON
    Column("base", Text, nullable=False, server_default="{}"),  # JSON: field values seen
    Column("base_version", Integer, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", Integer, nullable=False, server_default="0"),
    Column("state", String, nullable=False),  # pending | done | conflict | dead
    Column("last_error", Text),
    Column("created_at", Integer, nullable=False),
    Column("done_at", Integer),
    # 0005: what the source receives with the change (a decline's reason, duplicate of).
    Column("context", Text, nullable=False, server_default="{}"),
)
Index("ix_outbox_state", outbox.c.channel_id, outbox.c.state, outbox.c.seq)
Index("ix_outbox_escalation", outbox.c.escalation_id, outbox.c.state)

conflict = Table(
    "conflict",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("escalation_id", Integer, ForeignKey("escalation.id", ondelete="CASCADE"),
           nullable=False),
    Column("op_id", String, nullable=False),
    Column("field", String, nullable=False),
    Column("base", Text),
    Column("mine", Text),
    Column("theirs", Text),
    Column("theirs_version", Integer, nullable=False),
    Column("detected_at", Integer, nullable=False),
    Column("resolved_at", Integer),
    Column("resolution", String),  # mine | theirs | edit
)
Index("ix_conflict_open", conflict.c.resolved_at, conflict.c.escalation_id)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel_id", Integer, ForeignKey("channel.id", ondelete="CASCADE"),
           nullable=False),
    Column("external_id", String),
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),  # size-capped copy of the payload
    Column("received_at", Integer, nullable=False),  # first seen
    # 0004: one row per bad record ("id:<external id>") or payload ("raw:<hash>"), counted.
    Column("fingerprint", String, nullable=False, server_default=""),
    Column("seen_count", Integer, nullable=False, server_default="1"),
    Column("last_seen_at", Integer, nullable=False, server_default="0"),
)
Index("ux_quarantine_fingerprint", quarantine.c.channel_id, quarantine.c.fingerprint,
      unique=True)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", Integer, nullable=False),
    Column("actor", String, nullable=False),
    Column("action", String, nullable=False),
    Column("escalation_id", Integer),
    Column("channel_id", Integer),
    Column("detail", Text, nullable=False, server_default="{}"),
)

# 0005: an analyst's value of a field the escalation's source cannot receive (the push
# matrix): re-applied over every newer copy from the source (store/ingest.py).
local_override = Table(
    "local_override",
    metadata,
    Column("escalation_id", Integer, ForeignKey("escalation.id", ondelete="CASCADE"),
           primary_key=True),
    Column("field", String, primary_key=True),
    Column("value", Text),  # the column value
    Column("at", Integer, nullable=False),
)

incident = Table(
    "incident",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", Text, nullable=False),
    # 0007: active | contained | stable | resolved | closed (docs/incidents.md)
    Column("status", String, nullable=False, server_default="open"),
    Column("created_at", Integer, nullable=False),
    Column("created_by", String, nullable=False),
    # 0007: what lists show, refolded from incident_event after every change
    Column("uid", String),
    Column("type", String, nullable=False, server_default=""),
    Column("severity", String, nullable=False, server_default=""),
    Column("priority", String, nullable=False, server_default=""),
    Column("markets", Text, nullable=False, server_default=""),
    Column("updated_at", Integer),
    Column("conflicts", Integer, nullable=False, server_default="0"),
)
Index("ux_incident_uid", incident.c.uid, unique=True)

# 0007: every event of every incident; `seq` from the service (NULL: not pushed yet, in
# the order made: `n`); `body` is the event as on the wire (docs/incidents.md).
incident_event = Table(
    "incident_event",
    metadata,
    Column("n", Integer, primary_key=True),
    Column("uid", String, nullable=False, unique=True),
    Column("incident_uid", String, nullable=False),
    Column("seq", Integer),
    Column("kind", String, nullable=False),
    Column("at", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("state", String, nullable=False),  # pending | sent | rejected
    Column("channel_id", Integer),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
)
Index("ix_incident_event_incident", incident_event.c.incident_uid, incident_event.c.seq,
      incident_event.c.n)
Index("ux_incident_event_seq", incident_event.c.seq, unique=True,
      sqlite_where=text("seq IS NOT NULL"))
Index("ix_incident_event_state", incident_event.c.state, incident_event.c.n,
      sqlite_where=text("state != 'sent'"))

# The active SLA policy, one row per severity, read by the SQL that keeps deadlines.
sla_policy = Table(
    "sla_policy",
    metadata,
    Column("severity", Integer, primary_key=True),
    Column("acknowledge_s", Integer, nullable=False),
    Column("contain_s", Integer, nullable=False),
    Column("resolve_s", Integer, nullable=False),
    Column("at_risk_pct", Integer, nullable=False),
)

# Undo/redo of triage batches (store/undo.py): one batch per action, one item per
# escalation it changed, with the column values before and after (JSON).
undo_batch = Table(
    "undo_batch",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", Integer, nullable=False),
    Column("actor", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("description", Text, nullable=False),
    Column("state", String, nullable=False),  # done | undone
    Column("detail", Text, nullable=False, server_default="{}"),
)
Index("ix_undo_batch_state", undo_batch.c.state, undo_batch.c.id)

undo_item = Table(
    "undo_item",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", Integer, ForeignKey("undo_batch.id", ondelete="CASCADE"),
           nullable=False),
    Column("escalation_id", Integer, nullable=False),
    Column("before", Text, nullable=False, server_default="{}"),
    Column("after", Text, nullable=False, server_default="{}"),
    Column("message", Text),  # JSON {kind, text, op_id, event_id} of a note/reply/fact
)
Index("ix_undo_item_batch", undo_item.c.batch_id)

# Views the analyst saved (name + search query); built-in views live in store/views.py.
saved_view = Table(
    "saved_view",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, nullable=False, unique=True),
    Column("query", Text, nullable=False),
    Column("position", Integer, nullable=False),
)

# 0008: post-mortems, their revisions and action items (docs/postmortems.md)
postmortem = Table(
    "postmortem",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uid", String, nullable=False, unique=True),
    Column("incident_uid", String, nullable=False),
    Column("title", Text, nullable=False),
    Column("state", String, nullable=False, server_default="draft"),  # in_review | final
    Column("created_at", Integer, nullable=False),
    Column("created_by", String, nullable=False),
    Column("updated_at", Integer, nullable=False),
    Column("remote_version", Integer),  # the service's version `base_text` is
    Column("base_text", Text),  # the text both sides last agreed on: the merge base
    Column("dirty", Integer, nullable=False, server_default="1"),  # changed since then
    Column("theirs_text", Text),  # the service's copy, kept while a merge is open
    Column("theirs_version", Integer),
    Column("conflicts", Text, nullable=False, server_default="[]"),  # JSON sections
    Column("last_error", Text),
)
Index("ix_postmortem_incident", postmortem.c.incident_uid)

postmortem_revision = Table(
    "postmortem_revision",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("postmortem_id", Integer, ForeignKey("postmortem.id", ondelete="CASCADE"),
           nullable=False),
    Column("at", Integer, nullable=False),
    Column("author", String, nullable=False),
    Column("kind", String, nullable=False),  # created | autosave | merge | restore | ...
    Column("state", String, nullable=False),
    Column("text", Text, nullable=False),
)
Index("ix_postmortem_revision_pm", postmortem_revision.c.postmortem_id,
      postmortem_revision.c.id)

action_item = Table(
    "action_item",
    metadata,
    Column("postmortem_id", Integer, ForeignKey("postmortem.id", ondelete="CASCADE"),
           primary_key=True),
    Column("key", String, primary_key=True),
    Column("text", Text, nullable=False),
    Column("owner", String, nullable=False, server_default=""),
    Column("due", String, nullable=False),  # ISO date
    Column("done", Integer, nullable=False, server_default="0"),
    Column("first_seen", Integer, nullable=False),
    Column("removed", Integer, nullable=False, server_default="0"),
)

# Small facts about the cache itself (e.g. "fts_stale" while an initial load defers FTS).
store_meta = Table(
    "store_meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
)

# FTS5 over title/body/tags, external content = escalation; kept in step set-based by
# store/escalations.py (per-row triggers cost ~7x ingest, see docs/performance.md).
FTS_DDL = text(
    "CREATE VIRTUAL TABLE escalation_fts USING fts5("
    "title, body, tags, content='escalation', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')"
)
