"""`Store`: the cache file, its writer lane and its readers."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine

from .engine import raw_reader, writer_engine
from .migrate import migrate

log = logging.getLogger("rr_desktop.store")


class CorruptDatabase(Exception):
    """quick_check failed or the file is not a database."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"The cache at {path} is damaged ({detail}). Nothing was changed; restore a "
            "backup or move the file away and RR Desktop will resync from the channels.")


class Store:
    """The SQLite cache. All writes go through `write()` (one lane, BEGIN IMMEDIATE);
    reads use `read()` or their own `raw_reader` connections (WAL lets them run alongside).
    """

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self.engine = engine
        self._lane = threading.RLock()

    @classmethod
    def open(cls, path: Path, check: bool = True) -> Store:
        """Open (creating 0600 if needed), quick_check unless `check` is False (a file
        that is not a database still fails at once: migrate reads its header), and
        migrate to head."""
        engine = writer_engine(path)
        try:
            if check:
                result = cls._pragma(engine, "PRAGMA quick_check")
                if result != "ok":
                    raise CorruptDatabase(path, str(result))
            migrate(engine)
        except sqlite3.DatabaseError as exc:
            engine.dispose()
            raise CorruptDatabase(path, str(exc)) from exc
        except Exception as exc:
            engine.dispose()
            if isinstance(exc.__cause__, sqlite3.DatabaseError) or "DatabaseError" in repr(exc):
                raise CorruptDatabase(path, str(exc.__cause__ or exc)) from exc
            raise
        return cls(path, engine)

    def quick_check(self) -> str | None:
        """PRAGMA quick_check (O(file size): seconds at 1M rows, so the GUI runs it on a
        worker after the first paint); None when the file is sound, else SQLite's
        finding."""
        try:
            result = self._pragma(self.engine, "PRAGMA quick_check")
        except sqlite3.DatabaseError as exc:
            return str(exc)
        return None if result == "ok" else str(result)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE) on the writer connection, committed on
        success and rolled back on any exception."""
        with self._lane, self.engine.begin() as conn:
            driver = conn.connection.driver_connection
            assert isinstance(driver, sqlite3.Connection)
            yield driver

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A short-lived read connection (query_only)."""
        conn = raw_reader(self.path)
        try:
            yield conn
        finally:
            conn.close()

    @staticmethod
    def _pragma(engine: Engine, sql: str) -> object:
        """Run a PRAGMA on the writer connection outside any transaction."""
        raw = engine.raw_connection()
        try:
            row = raw.driver_connection.execute(sql).fetchone()  # type: ignore[union-attr]
            return None if row is None else row[0]
        finally:
            raw.close()

    def set_autocheckpoint(self, pages: int) -> None:
        """0 during a sync run (a checkpoint per page halves ingest), 1000 otherwise."""
        with self._lane:
            self._pragma(self.engine, f"PRAGMA wal_autocheckpoint={int(pages)}")

    def checkpoint(self) -> None:
        with self._lane:
            self._pragma(self.engine, "PRAGMA wal_checkpoint(PASSIVE)")
