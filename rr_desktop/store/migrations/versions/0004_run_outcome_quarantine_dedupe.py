"""Quarantine rows deduplicated, and each channel's last run outcome.

- `quarantine.fingerprint` names the bad record (`id:<external id>`) or, for what has no
  id (a malformed page, a refused feed), the payload (`raw:<blake2b of the raw text>`);
  one row per (channel, fingerprint), unique, with `seen_count` and `last_seen_at`
  (`received_at` stays the first sighting). Rows quarantined before this revision are
  folded the same way: the newest row of each group is kept, with the group's count.
- `channel.last_outcome` (ok | failed | rate_limited | cancelled) and `last_outcome_at`:
  what the last finished run ended with, so "ok" is never shown after a failed run.

Additive (new columns and an index; rows only merged): schema major stays 1.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _raw_fingerprint(raw: str) -> str:
    # The same definition as store/quarantine.py at this revision (kept here so this
    # migration does not change if that module does).
    data = raw.encode("utf-8", "replace")
    return "raw:" + hashlib.blake2b(data, digest_size=16).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String, nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("seen_count", sa.Integer, nullable=False,
                                   server_default="1"))
        batch.add_column(sa.Column("last_seen_at", sa.Integer, nullable=False,
                                   server_default="0"))
    conn = op.get_bind()
    conn.exec_driver_sql(
        "UPDATE quarantine SET last_seen_at = received_at, fingerprint = 'id:' || external_id "
        "WHERE external_id IS NOT NULL AND external_id != ''")
    conn.exec_driver_sql("UPDATE quarantine SET last_seen_at = received_at "
                         "WHERE fingerprint = ''")
    rows = conn.exec_driver_sql(
        "SELECT id, raw FROM quarantine WHERE fingerprint = ''").fetchall()
    for row_id, raw in rows:
        conn.exec_driver_sql("UPDATE quarantine SET fingerprint = ? WHERE id = ?",
                             (_raw_fingerprint(raw), row_id))
    # Fold each group into its newest row: count, first and last sighting.
    conn.exec_driver_sql(
        "UPDATE quarantine SET seen_count = g.n, received_at = g.first, "
        "last_seen_at = g.last FROM (SELECT channel_id, fingerprint, count(*) AS n, "
        "min(received_at) AS first, max(received_at) AS last, max(id) AS keep "
        "FROM quarantine GROUP BY channel_id, fingerprint) AS g WHERE quarantine.id = g.keep")
    conn.exec_driver_sql(
        "DELETE FROM quarantine WHERE id NOT IN (SELECT max(id) FROM quarantine "
        "GROUP BY channel_id, fingerprint)")
    op.create_index("ux_quarantine_fingerprint", "quarantine", ["channel_id", "fingerprint"],
                    unique=True)

    with op.batch_alter_table("channel") as batch:
        batch.add_column(sa.Column("last_outcome", sa.String))
        batch.add_column(sa.Column("last_outcome_at", sa.Integer))
    conn.exec_driver_sql(
        "UPDATE channel SET "
        "last_outcome = CASE WHEN last_error IS NOT NULL THEN 'failed' "
        "WHEN last_success_at IS NOT NULL THEN 'ok' END, "
        "last_outcome_at = CASE WHEN last_error IS NOT NULL THEN last_error_at "
        "ELSE last_success_at END")


def downgrade() -> None:
    op.drop_index("ux_quarantine_fingerprint", "quarantine")
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_column("last_seen_at")
        batch.drop_column("seen_count")
        batch.drop_column("fingerprint")
    with op.batch_alter_table("channel") as batch:
        batch.drop_column("last_outcome_at")
        batch.drop_column("last_outcome")
