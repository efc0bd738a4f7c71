"""Incidents as shared event logs (docs/incidents.md): `incident_event` holds every event
of every incident, pushed (`seq` from the service) or pending (`seq` NULL, in the order
they were made: `n`); the `incident` row keeps what lists show, refolded after every
change (uid, type, severity, priority, markets, updated_at, conflicts). Incidents made
before this revision get a uid, a `declare` event and a `link` event per linked
escalation, pending, so they reach the team at the next sync. Status "open" becomes
"active" (the first stage of the lifecycle). Additive: schema major stays 1.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from rr_desktop.domain.sources import source_key_of

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _iso(epoch: int | None) -> str:
    return datetime.fromtimestamp(int(epoch or 0), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def upgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("uid", sa.String))
        batch.add_column(sa.Column("type", sa.String, nullable=False, server_default=""))
        batch.add_column(sa.Column("severity", sa.String, nullable=False, server_default=""))
        batch.add_column(sa.Column("priority", sa.String, nullable=False, server_default=""))
        batch.add_column(sa.Column("markets", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("updated_at", sa.Integer))
        batch.add_column(sa.Column("conflicts", sa.Integer, nullable=False,
                                   server_default="0"))
    op.create_table(
        "incident_event",
        sa.Column("n", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String, nullable=False, unique=True),
        sa.Column("incident_uid", sa.String, nullable=False),
        sa.Column("seq", sa.Integer),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("at", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.String, nullable=False),
        sa.Column("channel_id", sa.Integer),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_incident_event_incident", "incident_event", ["incident_uid", "seq", "n"])
    op.create_index("ux_incident_event_seq", "incident_event", ["seq"], unique=True,
                    sqlite_where=sa.text("seq IS NOT NULL"))
    op.create_index("ix_incident_event_state", "incident_event", ["state", "n"],
                    sqlite_where=sa.text("state != 'sent'"))
    bind = op.get_bind()
    for iid, title, status, created_at, created_by in bind.execute(sa.text(
            "SELECT id, title, status, created_at, created_by FROM incident")).fetchall():
        uid = str(uuid.uuid4())
        events = [{"uid": str(uuid.uuid4()), "incident": uid, "kind": "declare",
                   "actor": created_by, "at": _iso(created_at), "base": None,
                   "data": {"title": title, "type": "", "severity": "S2", "priority": "P2",
                            "markets": [], "summary": ""}}]
        for ext, etitle, category, market, source_kind, config, name, reported in bind.execute(
                sa.text("SELECT e.external_id, e.title, e.category, e.market, c.kind, "
                        "c.config, c.name, e.created_at FROM escalation e JOIN channel c ON "
                        "c.id = e.channel_id WHERE e.incident_id = :i"), {"i": iid}):
            events.append({"uid": str(uuid.uuid4()), "incident": uid, "kind": "link",
                           "actor": created_by, "at": _iso(created_at), "base": None,
                           "data": {"source": source_key_of(source_kind, config, name),
                                    "external_id": ext, "title": (etitle or "")[:1200],
                                    "category": category or "", "market": market or "",
                                    "reported_at": _iso(reported)}})
        if status == "closed":
            events.append({"uid": str(uuid.uuid4()), "incident": uid, "kind": "status",
                           "actor": created_by, "at": _iso(created_at),
                           "base": events[0]["uid"], "data": {"status": "closed"}})
        bind.execute(sa.text(
            "UPDATE incident SET uid = :u, status = :s, severity = 'S2', priority = 'P2', "
            "updated_at = created_at WHERE id = :i"),
            {"u": uid, "s": "closed" if status == "closed" else "active", "i": iid})
        for e in events:
            bind.execute(sa.text(
                "INSERT INTO incident_event (uid, incident_uid, kind, at, body, state) "
                "VALUES (:uid, :inc, :kind, :at, :body, 'pending')"),
                {"uid": e["uid"], "inc": uid, "kind": e["kind"], "at": created_at,
                 "body": json.dumps(e)})
    op.create_index("ux_incident_uid", "incident", ["uid"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_incident_uid", "incident")
    op.drop_table("incident_event")
    with op.batch_alter_table("incident") as batch:
        for col in ("conflicts", "updated_at", "markets", "priority", "severity", "type",
                    "uid"):
            batch.drop_column(col)
    op.execute("UPDATE incident SET status = 'open' WHERE status != 'closed'")
