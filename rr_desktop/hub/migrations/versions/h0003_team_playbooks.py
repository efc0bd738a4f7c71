"""Team playbooks (docs/hub.md, "Team playbooks"): the team's playbook and overlay files,
edited by leads, synced into every desktop's data dir.

Revision ID: h0003
Revises: h0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h0003"
down_revision = "h0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_playbook",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.String(24), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_hub_playbook"),
        sa.UniqueConstraint("seq", name="uq_hub_playbook_seq"),
    )


def downgrade() -> None:
    op.drop_table("hub_playbook")
