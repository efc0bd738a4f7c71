"""The hub's Alembic environment: revisions run on a connection handed in by
rr_desktop/hub/store.py (`upgrade`), on PostgreSQL and SQLite alike. The version table is
`hub_alembic_version`, so the hub's chain never mixes with the desktop cache's."""

from __future__ import annotations

from alembic import context

from rr_desktop.hub.schema import metadata
from rr_desktop.hub.store import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata,
                  version_table=VERSION_TABLE,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
