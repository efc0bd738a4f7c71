"""Bring a cache DB to the current schema with Alembic; refuse a DB from a newer major.

Alembic is imported only when a migration has to run: a DB already at head costs one
SELECT at start-up (SQLAlchemy/Alembic imports dominate start time, see PERFORMANCE.md).
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine

from .schema import SCHEMA_MAJOR

log = logging.getLogger("rr_desktop.store")

# The revisions this build knows, oldest first; a test checks it against Alembic's scripts.
KNOWN_REVISIONS = ("0001", "0002")
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


def current_revision(engine: Engine) -> tuple[int, str | None]:
    """(schema major from PRAGMA user_version, Alembic revision or None)."""
    with engine.connect() as conn:
        major = int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)
        has_table = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).first()
        revision = (
            conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            if has_table else None
        )
        conn.rollback()
    return major, revision


def migrate(engine: Engine) -> bool:
    """Upgrade to head; True if a migration ran. Raises SchemaTooNew for a newer major."""
    major, revision = current_revision(engine)
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

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    log.info("cache migrated from %s to %s", revision, HEAD_REVISION)
    return True
