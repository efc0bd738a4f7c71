"""Opening the SQLite cache the way it keeps its promises (see shared/design/SECURITY.md).

- DB file created 0600 before SQLite opens it, in a 0700 directory (-wal/-shm inherit it);
- WAL, synchronous=FULL, busy_timeout, foreign keys on every connection;
- the writer connection runs in autocommit mode and `Store.write()` opens every
  transaction with BEGIN IMMEDIATE, so a read-then-write transaction waits for the lock
  (busy_timeout) instead of failing with "database is locked";
- readers get their own connections with query_only on, so UI reads never take the write
  lock.

Plain sqlite3, no SQLAlchemy: the runtime paths (writes, reads) use the driver directly,
and SQLAlchemy + Alembic are imported only when a migration has to run (see
store/migrate.py and store/sa_engine.py). That keeps ~150 ms of imports off start-up.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

log = logging.getLogger("rr_desktop.store")

BUSY_TIMEOUT_MS = 10_000
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
)


def prepare_db_file(path: Path) -> None:
    """Create the data dir (0700) and an empty DB file (0600) if missing; tighten modes."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.chmod(path.parent, 0o700)
    except PermissionError:  # a shared dir we do not own: the file mode still protects us
        log.warning("could not set mode 0700 on %s", path.parent)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def apply_pragmas(dbapi_conn: sqlite3.Connection) -> None:
    cur = dbapi_conn.cursor()
    try:
        for pragma in PRAGMAS:
            cur.execute(pragma)
    finally:
        cur.close()


def writer_connection(path: Path) -> sqlite3.Connection:
    """The connection of the single writer lane (autocommit; Store.write() issues BEGIN
    IMMEDIATE). Used from several threads, one at a time, under the Store's lane lock."""
    prepare_db_file(path)
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                           timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        apply_pragmas(conn)
    except sqlite3.DatabaseError:
        conn.close()
        raise
    return conn


def raw_reader(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 read connection for hot paths (the triage model's row windows)."""
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                           timeout=BUSY_TIMEOUT_MS / 1000)
    apply_pragmas(conn)
    conn.execute("PRAGMA query_only=ON")
    return conn
