"""Opening the SQLite cache the way it keeps its promises (see shared/design/SECURITY.md).

- DB file created 0600 before SQLite opens it, in a 0700 directory (-wal/-shm inherit it);
- WAL, synchronous=FULL, busy_timeout, foreign keys on every connection;
- the writer engine starts every transaction with BEGIN IMMEDIATE, so a read-then-write
  transaction waits for the lock (busy_timeout) instead of failing with "database is locked";
- readers get their own engine with query_only on, so UI reads never take the write lock.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool, QueuePool

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


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would BEGIN DEFERRED).
    dbapi_conn.isolation_level = None
    apply_pragmas(dbapi_conn)


def writer_engine(path: Path) -> Engine:
    """The engine of the single writer lane: every transaction is BEGIN IMMEDIATE."""
    prepare_db_file(path)
    engine = create_engine(
        f"sqlite:///{path}", poolclass=QueuePool, pool_size=1, max_overflow=0,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )
    event.listen(engine, "connect", _on_connect)

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def reader_engine(path: Path) -> Engine:
    """An engine for reads (UI, reports): query_only, deferred transactions."""
    engine = create_engine(
        f"sqlite:///{path}", poolclass=NullPool,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_reader_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        apply_pragmas(dbapi_conn)
        dbapi_conn.execute("PRAGMA query_only=ON")

    @event.listens_for(engine, "begin")
    def _begin_deferred(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def raw_reader(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 read connection for hot paths (the triage model's row windows)."""
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                           timeout=BUSY_TIMEOUT_MS / 1000)
    apply_pragmas(conn)
    conn.execute("PRAGMA query_only=ON")
    return conn
