"""The hub's first schema (docs/hub.md): the changes feed (`hub_change`, numbered by the
`hub_counter` row "feed"), escalations as rr_api serves them, incident events,
post-mortems, analysts with hashed tokens, and the audit log. Runs on PostgreSQL and
SQLite alike (no dialect-specific DDL).

Revision ID: h0001
Revises:
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h0001"
down_revision = None
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")  # SQLite's rowid alias


def upgrade() -> None:
    counter = op.create_table(
        "hub_counter",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_hub_counter"),
    )
    op.bulk_insert(counter, [{"name": "feed", "value": 0}])
    op.create_table(
        "hub_change",
        sa.Column("seq", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("version", sa.BigInteger),
        sa.Column("at", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(64)),
        sa.Column("desktop", sa.String(64)),
        sa.Column("payload", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_hub_change"),
    )
    op.create_index("ix_hub_change_kind_key", "hub_change", ["kind", "key"])
    op.create_table(
        "hub_escalation",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("external_id", sa.Text, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.String(24), nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_hub_escalation"),
        sa.UniqueConstraint("source", "external_id",
                            name="uq_hub_escalation_source_external_id"),
    )
    op.create_table(
        "hub_incident_event",
        sa.Column("uid", sa.String(36), nullable=False),
        sa.Column("incident", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.String(24), nullable=False),
        sa.Column("base", sa.String(36)),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("uid", name="pk_hub_incident_event"),
        sa.UniqueConstraint("seq", name="uq_hub_incident_event_seq"),
    )
    op.create_index("ix_hub_incident_event_incident", "hub_incident_event", ["incident"])
    op.create_table(
        "hub_postmortem",
        sa.Column("uid", sa.String(36), nullable=False),
        sa.Column("incident", sa.String(36), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("actions", sa.Text, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.String(24), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("uid", name="pk_hub_postmortem"),
        sa.CheckConstraint("state IN ('draft', 'in_review', 'final')",
                           name="ck_hub_postmortem_state"),
    )
    op.create_table(
        "hub_analyst",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(24), nullable=False),
        sa.Column("revoked_at", sa.String(24)),
        sa.PrimaryKeyConstraint("id", name="pk_hub_analyst"),
        sa.CheckConstraint("role IN ('analyst', 'lead', 'admin')", name="ck_hub_analyst_role"),
    )
    op.create_table(
        "hub_token",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("analyst", sa.String(64), nullable=False),
        sa.Column("salt", sa.LargeBinary, nullable=False),
        sa.Column("digest", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.String(24), nullable=False),
        sa.Column("revoked_at", sa.String(24)),
        sa.PrimaryKeyConstraint("id", name="pk_hub_token"),
        sa.ForeignKeyConstraint(["analyst"], ["hub_analyst.id"],
                                name="fk_hub_token_analyst_hub_analyst"),
    )
    op.create_index("ix_hub_token_analyst", "hub_token", ["analyst"])
    op.create_table(
        "hub_audit",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("at", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("desktop", sa.String(64)),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_hub_audit"),
    )
    op.create_index("ix_hub_audit_at", "hub_audit", ["at"])


def downgrade() -> None:
    for index, table in (("ix_hub_audit_at", "hub_audit"),
                         ("ix_hub_token_analyst", "hub_token"),
                         ("ix_hub_incident_event_incident", "hub_incident_event"),
                         ("ix_hub_change_kind_key", "hub_change")):
        op.drop_index(index, table_name=table)
    for table in ("hub_audit", "hub_token", "hub_analyst", "hub_postmortem",
                  "hub_incident_event", "hub_escalation", "hub_change", "hub_counter"):
        op.drop_table(table)
