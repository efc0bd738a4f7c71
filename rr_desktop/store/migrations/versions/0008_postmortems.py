"""Post-mortems (docs/postmortems.md): `postmortem` (one per incident draft, with what the
service last had: `remote_version` and `base_text`, the merge base; `theirs_text` and
`conflicts` while a same-section merge waits for the analyst), `postmortem_revision`
(every saved text: autosaves, merges, restores; the newest is the draft) and
`action_item` (the task lines of the "Action items" section, trackable and synced as
tasks). Additive: schema major stays 1.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "postmortem",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String, nullable=False, unique=True),
        sa.Column("incident_uid", sa.String, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("state", sa.String, nullable=False, server_default="draft"),
        sa.Column("created_at", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String, nullable=False),
        sa.Column("updated_at", sa.Integer, nullable=False),
        sa.Column("remote_version", sa.Integer),
        sa.Column("base_text", sa.Text),
        sa.Column("dirty", sa.Integer, nullable=False, server_default="1"),
        sa.Column("theirs_text", sa.Text),
        sa.Column("theirs_version", sa.Integer),
        sa.Column("conflicts", sa.Text, nullable=False, server_default="[]"),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_postmortem_incident", "postmortem", ["incident_uid"])
    op.create_table(
        "postmortem_revision",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("postmortem_id", sa.Integer,
                  sa.ForeignKey("postmortem.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.Integer, nullable=False),
        sa.Column("author", sa.String, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("state", sa.String, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_postmortem_revision_pm", "postmortem_revision",
                    ["postmortem_id", "id"])
    op.create_table(
        "action_item",
        sa.Column("postmortem_id", sa.Integer,
                  sa.ForeignKey("postmortem.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("owner", sa.String, nullable=False, server_default=""),
        sa.Column("due", sa.String, nullable=False),
        sa.Column("done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("first_seen", sa.Integer, nullable=False),
        sa.Column("removed", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("action_item")
    op.drop_index("ix_postmortem_revision_pm", "postmortem_revision")
    op.drop_table("postmortem_revision")
    op.drop_index("ix_postmortem_incident", "postmortem")
    op.drop_table("postmortem")
