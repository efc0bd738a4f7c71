"""What reaches the source, recorded: `channel.pushes` (the changes the channel kind sends
to its source, JSON list; NULL for a row written before this revision: everything is
queued, as before), `outbox.context` (what the source receives with a change: a decline's
reason, the escalation a duplicate duplicates) and `escalation_event.op_id` (the outbox op
that carries a local change; NULL when it stays on this machine), and `local_override`:
the analyst's values of fields their source cannot receive, kept over what the source
sends later. Additive: schema major stays 1.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("channel", sa.Column("pushes", sa.Text))
    op.add_column("outbox", sa.Column("context", sa.Text, nullable=False,
                                      server_default="{}"))
    op.add_column("escalation_event", sa.Column("op_id", sa.String))
    op.create_table(
        "local_override",
        sa.Column("escalation_id", sa.Integer,
                  sa.ForeignKey("escalation.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("field", sa.String, primary_key=True),
        sa.Column("value", sa.Text),
        sa.Column("at", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("local_override")
    with op.batch_alter_table("escalation_event") as batch:
        batch.drop_column("op_id")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("context")
    with op.batch_alter_table("channel") as batch:
        batch.drop_column("pushes")
