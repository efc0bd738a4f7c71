"""Triage: local triage fields and SLA clocks on escalations, incidents, the SLA policy,
the undo log, saved views, partial indexes for the small sets (snoozed, SLA deadlines,
queues, incidents, duplicates) and two wider triage indexes. Additive: schema major stays
1 (an older build can read it).

Rows cached before this revision get their SLA milestones from their current status at
their `updated_at` (the best time the cache knows), and deadlines from the default policy.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TRIAGE = ("priority", "created_at", "id")
# Widened in place (same names): the triage walk filters on the index alone.
_WIDENED = (
    ("ix_escalation_triage", [*_TRIAGE, "severity", "status", "category", "channel_id",
                              "market"], list(_TRIAGE)),
    ("ix_escalation_status_triage", ["status", *_TRIAGE, "severity", "category", "channel_id",
                                     "market"], ["status", *_TRIAGE]),
    ("ix_escalation_assignee_triage", ["assignee", *_TRIAGE, "status"],
     ["assignee", *_TRIAGE]),
)
_NEW_COLUMNS = ("duplicate_of", "queue", "acknowledged_at", "contained_at", "resolved_at",
                "sla_paused_at", "sla_paused_s", "sla_due_at", "sla_risk_at")
# Seconds: acknowledge, contain, resolve per severity S0..S3 (domain/sla.py defaults).
_DEFAULT_POLICY = ((0, 900, 3600, 14400), (1, 3600, 14400, 86400),
                   (2, 14400, 86400, 259200), (3, 86400, 259200, 604800))
_WAITING = "('waiting_on_partner', 'waiting_on_stakeholder')"
_CONTAINED = "('closed', 'contained', 'declined', 'duplicate', 'resolved')"
_RESOLVED = "('closed', 'declined', 'duplicate', 'resolved')"
_PARTIAL = (
    ("ix_escalation_snoozed", ["snoozed_until", *_TRIAGE], "snoozed_until"),
    ("ix_escalation_sla_due", ["sla_due_at", *_TRIAGE], "sla_due_at"),
    ("ix_escalation_sla_risk", ["sla_risk_at", *_TRIAGE], "sla_risk_at"),
    ("ix_escalation_queue_triage", ["queue", *_TRIAGE], "queue"),
    ("ix_escalation_incident_triage", ["incident_id", *_TRIAGE], "incident_id"),
    ("ix_escalation_duplicate_of", ["duplicate_of"], "duplicate_of"),
)


def upgrade() -> None:
    for name in ("duplicate_of", "acknowledged_at", "contained_at", "resolved_at",
                 "sla_paused_at", "sla_due_at", "sla_risk_at"):
        op.add_column("escalation", sa.Column(name, sa.Integer))
    op.add_column("escalation", sa.Column("queue", sa.String))
    op.add_column("escalation", sa.Column("sla_paused_s", sa.Integer, nullable=False,
                                          server_default="0"))
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("status", sa.String, nullable=False, server_default="open"),
        sa.Column("created_at", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String, nullable=False),
    )
    op.create_table(
        "sla_policy",
        sa.Column("severity", sa.Integer, primary_key=True),
        sa.Column("acknowledge_s", sa.Integer, nullable=False),
        sa.Column("contain_s", sa.Integer, nullable=False),
        sa.Column("resolve_s", sa.Integer, nullable=False),
        sa.Column("at_risk_pct", sa.Integer, nullable=False),
    )
    op.create_table(
        "undo_batch",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.Integer, nullable=False),
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("state", sa.String, nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("ix_undo_batch_state", "undo_batch", ["state", "id"])
    op.create_table(
        "undo_item",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("undo_batch.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("escalation_id", sa.Integer, nullable=False),
        sa.Column("before", sa.Text, nullable=False, server_default="{}"),
        sa.Column("after", sa.Text, nullable=False, server_default="{}"),
        sa.Column("message", sa.Text),
    )
    op.create_index("ix_undo_item_batch", "undo_item", ["batch_id"])
    op.create_table(
        "saved_view",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False, unique=True),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    for severity, ack, contain, resolve in _DEFAULT_POLICY:
        op.execute(f"INSERT INTO sla_policy VALUES ({severity}, {ack}, {contain}, {resolve}, 25)")
    _backfill_sla()
    for name, columns, column in _PARTIAL:
        op.create_index(name, "escalation", columns,
                        sqlite_where=sa.text(f"{column} IS NOT NULL"))
    for name, wide, _ in _WIDENED:
        op.drop_index(name, "escalation")
        op.create_index(name, "escalation", wide)


def _backfill_sla() -> None:
    op.execute(
        "UPDATE escalation SET "
        "acknowledged_at = CASE WHEN status = 'new' THEN NULL ELSE updated_at END, "
        f"contained_at = CASE WHEN status IN {_CONTAINED} THEN updated_at END, "
        f"resolved_at = CASE WHEN status IN {_RESOLVED} THEN updated_at END, "
        f"sla_paused_at = CASE WHEN status IN {_WAITING} THEN updated_at END")
    target = ("CASE WHEN escalation.acknowledged_at IS NULL THEN p.acknowledge_s "
              "WHEN escalation.contained_at IS NULL THEN p.contain_s ELSE p.resolve_s END")
    op.execute(
        "UPDATE escalation SET "
        f"sla_due_at = (SELECT escalation.created_at + {target} FROM sla_policy p "
        "WHERE p.severity = escalation.severity), "
        f"sla_risk_at = (SELECT escalation.created_at + {target} - ({target}) * p.at_risk_pct "
        "/ 100 FROM sla_policy p WHERE p.severity = escalation.severity) "
        "WHERE resolved_at IS NULL AND sla_paused_at IS NULL")


def downgrade() -> None:
    for name, _, narrow in _WIDENED:
        op.drop_index(name, "escalation")
        op.create_index(name, "escalation", narrow)
    for name, _, _ in _PARTIAL:
        op.drop_index(name, "escalation")
    for table in ("saved_view", "undo_item", "undo_batch", "sla_policy", "incident"):
        op.drop_table(table)
    with op.batch_alter_table("escalation") as batch:
        for name in _NEW_COLUMNS:
            batch.drop_column(name)
