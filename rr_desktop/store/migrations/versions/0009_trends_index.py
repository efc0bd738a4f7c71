"""A covering index for the trends screen (docs/trends.md, "Speed"): every aggregate of a
period reads (category, market, channel_id, created_at) and the columns after them from
the index alone, never the escalation rows, and in that order SQLite sorts each GROUP BY
only within a series. At 1M rows it adds ~64 MB and is built in ~5 s on upgrade.
Additive: schema major stays 1.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_escalation_trends", "escalation",
                    ["category", "market", "channel_id", "created_at", "region",
                     "reporter_type", "severity", "acknowledged_at", "contained_at",
                     "resolved_at", "sla_paused_at", "sla_paused_s"])


def downgrade() -> None:
    op.drop_index("ix_escalation_trends", "escalation")
