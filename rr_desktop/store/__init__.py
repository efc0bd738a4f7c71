"""The local cache: SQLite through SQLAlchemy 2, migrated by Alembic."""
