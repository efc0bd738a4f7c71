"""The hub's tables (SQLAlchemy Core), one metadata for PostgreSQL and SQLite alike.

JSON documents (an escalation's fields, an event's data, a change's payload) are kept as
the exact JSON text the hub serves: portable across both databases and served without a
decode/encode round trip. Times are ISO-8601 UTC text with a trailing Z (millisecond
precision), the API's own format, so both databases sort and compare them the same way.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# Constraint names are fixed so that revisions name them the same on both databases.
metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

ROLES = ("analyst", "lead", "admin")

# One row per named counter; "feed" numbers the changes feed (docs/hub.md, "The changes
# feed"): the row is updated in the committing transaction, so its lock orders commits.
counter = Table(
    "hub_counter", metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

change = Table(
    "hub_change", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(32), nullable=False),  # escalation, incident_event, postmortem, ...
    Column("key", Text, nullable=False),  # the changed record's id within its kind
    Column("version", BigInteger),  # the record's version after the change, if it has one
    Column("at", String(24), nullable=False),
    Column("actor", String(64)),  # analyst id; NULL for the hub's own sync
    Column("desktop", String(64)),  # the desktop the change came from, if any
    Column("payload", Text, nullable=False),  # the record as served after the change
)
Index("ix_hub_change_kind_key", change.c.kind, change.c.key)

escalation = Table(
    "hub_escalation", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("source", Text, nullable=False),  # the channel's source key (docs/incidents.md)
    Column("external_id", Text, nullable=False),
    # The id the hub serves it under (`id` in rr_api): unique across the team's sources.
    Column("api_id", Text, nullable=False, unique=True),
    Column("version", BigInteger, nullable=False),
    Column("updated_at", String(24), nullable=False),
    Column("fields", Text, nullable=False),  # the escalation as rr_api serves it
    Column("seq", BigInteger, nullable=False, unique=True),  # its latest change in the feed
    UniqueConstraint("source", "external_id", name="uq_hub_escalation_source_external_id"),
)

# Notes and replies posted to an escalation (rr_api /notes and /replies).
escalation_note = Table(
    "hub_escalation_note", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("escalation", Text, nullable=False),  # hub_escalation.api_id
    Column("kind", String(8), nullable=False),  # "notes" or "replies"
    Column("body", Text, nullable=False),  # the note as served
    CheckConstraint("kind IN ('notes', 'replies')", name="kind"),
)
Index("ix_hub_escalation_note_escalation", escalation_note.c.escalation)

# Every write applied to an escalation (rr_api /history): what a client's writes did.
escalation_op = Table(
    "hub_escalation_op", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("escalation", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),  # the feed seq the write came with
    Column("kind", String(16), nullable=False),  # add, patch, fact, note, reply, source
    Column("detail", Text, nullable=False),
)
Index("ix_hub_escalation_op_escalation", escalation_op.c.escalation)

# Idempotency keys of POSTs: the first answer, replayed for a retry with the same key.
idempotency = Table(
    "hub_idempotency", metadata,
    Column("scope", Text, primary_key=True),  # e.g. "ESC-1/notes"
    Column("key", String(255), primary_key=True),
    Column("answer", Text, nullable=False),
)

# Named values of this hub: "instance" (the cursor prefix, new for every new database).
meta = Table(
    "hub_meta", metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Text, nullable=False),
)

incident_event = Table(
    "hub_incident_event", metadata,
    Column("uid", String(36), primary_key=True),
    Column("incident", String(36), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at", String(24), nullable=False),
    Column("base", String(36)),
    Column("data", Text, nullable=False),
    # The event's place in the shared order: the feed seq of its append.
    Column("seq", BigInteger, nullable=False, unique=True),
)
Index("ix_hub_incident_event_incident", incident_event.c.incident)

postmortem = Table(
    "hub_postmortem", metadata,
    Column("uid", String(36), primary_key=True),
    Column("incident", String(36), nullable=False),
    Column("title", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("actions", Text, nullable=False),  # JSON list of {key, text, owner, due, done}
    Column("version", BigInteger, nullable=False),
    Column("updated_at", String(24), nullable=False),
    Column("seq", BigInteger, nullable=False),
    CheckConstraint("state IN ('draft', 'in_review', 'final')", name="state"),
)

analyst = Table(
    "hub_analyst", metadata,
    Column("id", String(64), primary_key=True),  # the roster id, e.g. "mei.tan"
    Column("role", String(16), nullable=False),
    # The roster entry served at /v1/analysts: a JSON object {name, email, languages,
    # markets}; "{}" until set (the name is then the id).
    Column("profile", Text, nullable=False, server_default="{}"),
    Column("created_at", String(24), nullable=False),
    Column("revoked_at", String(24)),  # set: no token of theirs is accepted
    CheckConstraint("role IN ('analyst', 'lead', 'admin')", name="role"),
)

token = Table(
    "hub_token", metadata,
    Column("id", String(16), primary_key=True),  # the token's public lookup part
    Column("analyst", String(64), ForeignKey("hub_analyst.id"), nullable=False),
    Column("salt", LargeBinary, nullable=False),
    Column("digest", LargeBinary, nullable=False),  # scrypt(secret, salt)
    Column("created_at", String(24), nullable=False),
    Column("revoked_at", String(24)),
)
Index("ix_hub_token_analyst", token.c.analyst)

audit = Table(
    "hub_audit", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("at", String(24), nullable=False),
    Column("actor", String(64), nullable=False),  # analyst id, or "hub-cli" for the admin
    Column("desktop", String(64)),
    Column("action", String(48), nullable=False),
    Column("target", Text, nullable=False),
    Column("detail", Text, nullable=False),  # JSON object
)
Index("ix_hub_audit_at", audit.c.at)

# The team's playbook files (docs/hub.md, "Team playbooks"): `name` is the file's path
# under a playbooks folder (`violent-event.yaml`, `overlays/JP.yaml`), `text` its YAML.
playbook = Table(
    "hub_playbook", metadata,
    Column("name", String(128), primary_key=True),
    Column("text", Text, nullable=False),
    Column("version", BigInteger, nullable=False),  # 1 on create, +1 per write
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", String(24), nullable=False),
    Column("seq", BigInteger, nullable=False, unique=True),  # its last write in the feed
)
