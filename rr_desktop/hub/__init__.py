"""The team hub: one store and one sync for the whole team (docs/hub.md).

Core only (no Qt): SQLAlchemy Core tables on PostgreSQL (psycopg 3) or an embedded
SQLite file, migrated by the hub's own Alembic revisions, a changes feed whose cursors
never skip or repeat under concurrent writers, and per-analyst tokens.
"""
