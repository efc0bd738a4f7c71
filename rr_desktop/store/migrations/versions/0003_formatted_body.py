"""Formatted bodies: `escalation.body_html`, the body as the source sent it when that was
HTML (mail, feeds), shown through the GUI's SafeHtml path; `body` stays its plain text
for search and the plain view. Additive (a nullable column, no table rewrite): schema
major stays 1.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("escalation", sa.Column("body_html", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("escalation") as batch:
        batch.drop_column("body_html")
