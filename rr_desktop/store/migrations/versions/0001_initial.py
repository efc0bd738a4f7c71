"""Initial schema: channels, cursors, escalations + FTS5, timeline, outbox, conflicts,
quarantine, audit log, analysts, store meta. Schema major 1.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TRIAGE = ("priority", "created_at", "id")


def _fk_channel(nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("channel_id", sa.Integer,
                     sa.ForeignKey("channel.id", ondelete="CASCADE"), nullable=nullable)


def _fk_escalation() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("escalation_id", sa.Integer,
                     sa.ForeignKey("escalation.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "channel",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False, unique=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("config", sa.Text, nullable=False, server_default="{}"),
        sa.Column("enabled", sa.Integer, nullable=False, server_default="1"),
        sa.Column("last_success_at", sa.Integer),
        sa.Column("last_attempt_at", sa.Integer),
        sa.Column("last_remote_time", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("last_error_at", sa.Integer),
        sa.Column("rate_limited_until", sa.Integer),
        sa.Column("lease_owner", sa.String),
        sa.Column("lease_until", sa.Integer),
    )
    op.create_table(
        "sync_cursor",
        sa.Column("channel_id", sa.Integer, sa.ForeignKey("channel.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("scope", sa.String, primary_key=True),
        sa.Column("cursor", sa.Text),
        sa.Column("updated_at", sa.Integer, nullable=False),
    )
    op.create_table(
        "analyst",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("email", sa.String, nullable=False, server_default=""),
        sa.Column("languages", sa.String, nullable=False, server_default=""),
        sa.Column("markets", sa.String, nullable=False, server_default=""),
    )
    op.create_table(
        "escalation",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk_channel(),
        sa.Column("external_id", sa.String, nullable=False),
        sa.Column("remote_version", sa.Integer, nullable=False),
        sa.Column("payload_hash", sa.String, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("reporter", sa.String, nullable=False),
        sa.Column("reporter_type", sa.String, nullable=False),
        sa.Column("category", sa.String, nullable=False),
        sa.Column("market", sa.String, nullable=False),
        sa.Column("region", sa.String, nullable=False),
        sa.Column("language", sa.String, nullable=False),
        sa.Column("severity", sa.Integer, nullable=False),
        sa.Column("urgency", sa.Integer, nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("priority_reasons", sa.Text, nullable=False, server_default="[]"),
        sa.Column("priority_raised_at", sa.Integer),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("assignee", sa.String),
        sa.Column("tags", sa.Text, nullable=False, server_default=""),
        sa.Column("deadline_at", sa.Integer),
        sa.Column("views", sa.Integer, nullable=False, server_default="0"),
        sa.Column("shares", sa.Integer, nullable=False, server_default="0"),
        sa.Column("content_url", sa.Text),
        sa.Column("facts", sa.Text, nullable=False, server_default="[]"),
        sa.Column("created_at", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.Integer, nullable=False),
        sa.Column("synced_at", sa.Integer, nullable=False),
        sa.Column("snoozed_until", sa.Integer),
        sa.Column("incident_id", sa.Integer),
        sa.UniqueConstraint("channel_id", "external_id", name="uq_escalation_channel_external"),
    )
    op.create_index("ix_escalation_triage", "escalation", list(_TRIAGE))
    for col in ("status", "assignee", "market"):
        op.create_index(f"ix_escalation_{col}_triage", "escalation", [col, *_TRIAGE])
    op.create_table(
        "escalation_event",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk_escalation(),
        sa.Column("at", sa.Integer, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("field", sa.String),
        sa.Column("old", sa.Text),
        sa.Column("new", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("author", sa.String),
        sa.Column("source", sa.String, nullable=False),
    )
    op.create_index("ix_escalation_event_escalation", "escalation_event",
                    ["escalation_id", "at"])
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("op_id", sa.String, nullable=False, unique=True),
        _fk_channel(),
        _fk_escalation(),
        sa.Column("op_type", sa.String, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("base", sa.Text, nullable=False, server_default="{}"),
        sa.Column("base_version", sa.Integer, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.Integer, nullable=False, server_default="0"),
        sa.Column("state", sa.String, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.Integer, nullable=False),
        sa.Column("done_at", sa.Integer),
    )
    op.create_index("ix_outbox_state", "outbox", ["channel_id", "state", "seq"])
    op.create_index("ix_outbox_escalation", "outbox", ["escalation_id", "state"])
    op.create_table(
        "conflict",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk_escalation(),
        sa.Column("op_id", sa.String, nullable=False),
        sa.Column("field", sa.String, nullable=False),
        sa.Column("base", sa.Text),
        sa.Column("mine", sa.Text),
        sa.Column("theirs", sa.Text),
        sa.Column("theirs_version", sa.Integer, nullable=False),
        sa.Column("detected_at", sa.Integer, nullable=False),
        sa.Column("resolved_at", sa.Integer),
        sa.Column("resolution", sa.String),
    )
    op.create_index("ix_conflict_open", "conflict", ["resolved_at", "escalation_id"])
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk_channel(),
        sa.Column("external_id", sa.String),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("received_at", sa.Integer, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.Integer, nullable=False),
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("action", sa.String, nullable=False),
        sa.Column("escalation_id", sa.Integer),
        sa.Column("channel_id", sa.Integer),
        sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.execute(
        "CREATE VIRTUAL TABLE escalation_fts USING fts5("
        "title, body, tags, content='escalation', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute("PRAGMA user_version = 1")


def downgrade() -> None:
    op.execute("DROP TABLE escalation_fts")
    for table in ("store_meta", "audit_log", "quarantine", "conflict", "outbox", "escalation_event",
                  "escalation", "analyst", "sync_cursor", "channel"):
        op.drop_table(table)
    op.execute("PRAGMA user_version = 0")
