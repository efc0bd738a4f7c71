"""The team's own fields of an analyst, kept across roster syncs (docs/lead-board.md):
`analyst.skills` (policy areas, space separated), `analyst.shift_zone` (IANA zone) and
`analyst.shift_hours` (weekly hours in that zone, "Mon-Fri 09:00-18:00"; "" when not set),
`analyst.capacity` (most open items; NULL when not set). A roster sync writes only the
source's columns. Additive: schema major stays 1.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("analyst", sa.Column("skills", sa.Text, nullable=False, server_default=""))
    op.add_column("analyst", sa.Column("shift_zone", sa.String, nullable=False,
                                       server_default=""))
    op.add_column("analyst", sa.Column("shift_hours", sa.Text, nullable=False,
                                       server_default=""))
    op.add_column("analyst", sa.Column("capacity", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("analyst") as batch:
        batch.drop_column("capacity")
        batch.drop_column("shift_hours")
        batch.drop_column("shift_zone")
        batch.drop_column("skills")
