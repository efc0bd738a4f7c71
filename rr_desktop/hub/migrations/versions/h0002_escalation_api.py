"""The escalation API on the hub (docs/hub.md, "The API"): the id each escalation is
served under, its feed position indexed (the rr_api feed pages by it), notes and
replies, the history of writes, idempotency keys, the hub's instance id (the cursor
prefix) and the analysts' roster profile.

Revision ID: h0002
Revises: h0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "h0002"
down_revision = "h0001"
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("hub_escalation") as batch:
        batch.add_column(sa.Column("api_id", sa.Text, nullable=True))
    op.execute("UPDATE hub_escalation SET api_id = external_id")
    with op.batch_alter_table("hub_escalation") as batch:
        batch.alter_column("api_id", existing_type=sa.Text, nullable=False)
        batch.create_unique_constraint("uq_hub_escalation_api_id", ["api_id"])
        batch.create_unique_constraint("uq_hub_escalation_seq", ["seq"])
    with op.batch_alter_table("hub_analyst") as batch:
        batch.add_column(sa.Column("profile", sa.Text, nullable=False, server_default="{}"))
    op.create_table(
        "hub_escalation_note",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("escalation", sa.Text, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_hub_escalation_note"),
        sa.CheckConstraint("kind IN ('notes', 'replies')", name="ck_hub_escalation_note_kind"),
    )
    op.create_index("ix_hub_escalation_note_escalation", "hub_escalation_note",
                    ["escalation"])
    op.create_table(
        "hub_escalation_op",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("escalation", sa.Text, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_hub_escalation_op"),
    )
    op.create_index("ix_hub_escalation_op_escalation", "hub_escalation_op", ["escalation"])
    op.create_table(
        "hub_idempotency",
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name="pk_hub_idempotency"),
    )
    meta = op.create_table(
        "hub_meta",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_hub_meta"),
    )
    # A new id for every new database: a desktop's cursor from another hub (or from
    # before a restore into a new database) is told to start over, never misread.
    op.bulk_insert(meta, [{"name": "instance", "value": secrets.token_hex(6)}])


def downgrade() -> None:
    op.drop_table("hub_meta")
    op.drop_table("hub_idempotency")
    op.drop_index("ix_hub_escalation_op_escalation", table_name="hub_escalation_op")
    op.drop_table("hub_escalation_op")
    op.drop_index("ix_hub_escalation_note_escalation", table_name="hub_escalation_note")
    op.drop_table("hub_escalation_note")
    with op.batch_alter_table("hub_analyst") as batch:
        batch.drop_column("profile")
    with op.batch_alter_table("hub_escalation") as batch:
        batch.drop_constraint("uq_hub_escalation_seq", type_="unique")
        batch.drop_constraint("uq_hub_escalation_api_id", type_="unique")
        batch.drop_column("api_id")
