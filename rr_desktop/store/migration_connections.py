"""A SQLAlchemy engine over the cache, for Alembic migrations (and schema tests) only.

Same promises as store/connections.py: every connection gets the pragmas and every
transaction begins IMMEDIATE.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import QueuePool

from .connections import BUSY_TIMEOUT_MS, apply_pragmas


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would BEGIN DEFERRED).
    dbapi_conn.isolation_level = None
    apply_pragmas(dbapi_conn)


def writer_engine(path: Path) -> Engine:
    """An engine whose every transaction is BEGIN IMMEDIATE (one pooled connection).

    The file exists already (Store.open made it); it is NOT prepared again here: that
    would open and close a descriptor of a file this process holds open in SQLite, and
    the close drops the process's POSIX locks on it (see connections.prepare_db_file)."""
    engine = create_engine(
        f"sqlite:///{path}", poolclass=QueuePool, pool_size=1, max_overflow=0,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )
    event.listen(engine, "connect", _on_connect)

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
