"""`Store`: the cache file, its writer lane and its readers."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .engine import raw_reader, writer_connection
from .migrate import migrate

log = logging.getLogger("rr_desktop.store")


class CorruptDatabase(Exception):
    """quick_check failed or the file is not a database."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"The cache at {path} is damaged ({detail}). Nothing was changed; restore a "
            "backup or move the file away and RR Desktop will resync from the channels.")


class WriteFromForbiddenThread(RuntimeError):
    """A write was started on a thread that must never wait for the writer lane (the
    GUI thread: a write there would freeze the window for as long as a sync holds the
    lane)."""


class Store:
    """The SQLite cache. All writes go through `write()` (one lane, BEGIN IMMEDIATE);
    reads use `read()` or their own `raw_reader` connections (WAL lets them run alongside).
    """

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lane = threading.RLock()
        self._forbidden_thread: int | None = None

    @classmethod
    def open(cls, path: Path, check: bool = True) -> Store:
        """Open (creating 0600 if needed), quick_check unless `check` is False (a file
        that is not a database still fails at once: migrate reads its header), and
        migrate to head."""
        try:
            conn = writer_connection(path)
        except sqlite3.DatabaseError as exc:
            raise CorruptDatabase(path, str(exc)) from exc
        try:
            if check:
                result = conn.execute("PRAGMA quick_check").fetchone()[0]
                if result != "ok":
                    raise CorruptDatabase(path, str(result))
            migrate(path, conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise CorruptDatabase(path, str(exc)) from exc
        except Exception as exc:
            conn.close()
            if isinstance(exc.__cause__, sqlite3.DatabaseError) or "DatabaseError" in repr(exc):
                raise CorruptDatabase(path, str(exc.__cause__ or exc)) from exc
            raise
        return cls(path, conn)

    def quick_check(self) -> str | None:
        """PRAGMA quick_check (O(file size): seconds at 1M rows, so the GUI runs it on a
        worker after the first paint) on its own read connection, so writes go on
        meanwhile; None when the file is sound, else SQLite's finding."""
        try:
            with self.read() as db:
                result = db.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            return str(exc)
        return None if result == "ok" else str(result)

    def close(self) -> None:
        with self._lane:
            self._conn.close()

    def forbid_writes_from(self, thread_id: int | None) -> None:
        """Make `write()` raise on this thread (the GUI installs its own thread: every
        write of the window runs on a worker); None lifts it."""
        self._forbidden_thread = thread_id

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE) on the writer connection, committed on
        success and rolled back on any exception."""
        if self._forbidden_thread is not None \
                and threading.get_ident() == self._forbidden_thread:
            raise WriteFromForbiddenThread(
                "a write on the GUI thread: run it as a job (AppContext.run_write)")
        with self._lane:
            db = self._conn
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            try:
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A short-lived read connection (query_only)."""
        conn = raw_reader(self.path)
        try:
            yield conn
        finally:
            conn.close()

    def _pragma(self, sql: str) -> None:
        """Run a PRAGMA on the writer connection outside any transaction."""
        with self._lane:
            self._conn.execute(sql).fetchall()

    def set_autocheckpoint(self, pages: int) -> None:
        """0 during a sync run (a checkpoint per page halves ingest), 1000 otherwise."""
        self._pragma(f"PRAGMA wal_autocheckpoint={int(pages)}")

    def checkpoint(self) -> None:
        self._pragma("PRAGMA wal_checkpoint(PASSIVE)")
