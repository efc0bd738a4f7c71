"""Bring a cache DB to the current schema with Alembic; refuse a DB from a newer major.

SQLAlchemy and Alembic are imported only when a migration has to run: a DB already at
head costs two SELECTs on the plain writer connection at start-up (their imports would
otherwise dominate start time, see docs/performance.md).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

log = logging.getLogger("rr_desktop.store")

# Major schema version (PRAGMA user_version, set by migration 0001): a DB whose major is
# newer than this is refused.
SCHEMA_MAJOR = 1
# The revisions this build knows, oldest first; a test checks it against Alembic's scripts.
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009")
HEAD_REVISION = KNOWN_REVISIONS[-1]
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class SchemaTooNew(Exception):
    """The DB was written by a newer RR Desktop whose schema this version cannot read."""

    def __init__(self, db_major: int) -> None:
        super().__init__(
            f"This cache was written by a newer RR Desktop (schema {db_major}, this version "
            f"reads schema {SCHEMA_MAJOR}). Update RR Desktop, or start with another "
            f"--data-dir; the file was left untouched."
        )
        self.db_major = db_major


def current_revision(db: sqlite3.Connection) -> tuple[int, str | None]:
    """(schema major from PRAGMA user_version, Alembic revision or None)."""
    major = int(db.execute("PRAGMA user_version").fetchone()[0] or 0)
    has_table = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
    ).fetchone()
    row = db.execute("SELECT version_num FROM alembic_version").fetchone() \
        if has_table else None
    return major, (row[0] if row else None)


def migrate(path: Path, db: sqlite3.Connection) -> bool:
    """Upgrade the cache at `path` (open as `db`, outside a transaction) to head; True if
    a migration ran. Raises SchemaTooNew for a newer major."""
    major, revision = current_revision(db)
    if major > SCHEMA_MAJOR:
        raise SchemaTooNew(major)
    if revision == HEAD_REVISION:
        return False
    if revision is not None and revision not in KNOWN_REVISIONS:
        # Same major, newer minor revision: additive changes this build can live with.
        log.info("cache schema revision %s is newer than this build's; using it", revision)
        return False
    from alembic import command
    from alembic.config import Config

    from .migration_connections import writer_engine

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = writer_engine(path)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        engine.dispose()
    log.info("cache migrated from %s to %s", revision, HEAD_REVISION)
    return True
