"""`Store`: the cache file, its writer lane and its readers."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .connections import BUSY_TIMEOUT_MS, raw_reader, read_only_connection, writer_connection
from .migrate import (
    HEAD_REVISION,
    KNOWN_REVISIONS,
    SCHEMA_MAJOR,
    SchemaTooNew,
    current_revision,
    migrate,
)
from .problems import StoreUnavailable, damaged, is_damage, unavailable
from .schema_check import schema_problem

log = logging.getLogger("rr_desktop.store")

# During a sync run the WAL is checkpointed by size, not every 1000 pages (a checkpoint
# per page halves ingest, docs/performance.md lesson 2; never checkpointing let a 200k sync
# grow it to 1.5 GB): SQLite's own PASSIVE auto-checkpoint at this many pages (4 KB
# each: 64 MB), after a commit, by the committing connection.
BULK_AUTOCHECKPOINT_PAGES = 16_384
IDLE_AUTOCHECKPOINT_PAGES = 1000
# After a run the WAL is truncated to nothing, waiting at most this long for readers.
TRUNCATE_WAIT_MS = 250


class CorruptDatabase(Exception):
    """quick_check failed or the file is not a database."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(damaged(path, detail))


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

    read_only = False

    @classmethod
    def open(cls, path: Path, check: bool = True) -> Store:
        """Open (creating 0600 if needed), quick_check unless `check` is False (a file
        that is not a database still fails at once: migrate reads its header), migrate
        to head and check the schema is whole.

        Raises CorruptDatabase (the file's content), StoreUnavailable (disk full, data
        dir not writable, I/O error, locked) or SchemaTooNew; each is one sentence."""
        try:
            conn = writer_connection(path)
        except OSError as exc:  # making the data dir or the file
            raise (unavailable(path, exc) or exc) from exc
        except sqlite3.DatabaseError as exc:
            raise _failure(path, exc) from exc
        try:
            if check:
                result = conn.execute("PRAGMA quick_check").fetchone()[0]
                if result != "ok":
                    raise CorruptDatabase(path, str(result))
            migrate(path, conn)
            problem = schema_problem(conn)
            if problem:
                raise CorruptDatabase(path, problem)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise _failure(path, exc) from exc
        except (CorruptDatabase, StoreUnavailable, SchemaTooNew):
            conn.close()
            raise
        except Exception as exc:
            conn.close()
            cause = exc.__cause__
            if isinstance(cause, sqlite3.DatabaseError):  # through SQLAlchemy / Alembic
                raise _failure(path, cause) from exc
            raise
        return cls(path, conn)

    @classmethod
    def open_read_only(cls, path: Path) -> Store:
        """Open for reading only (`channels list` in a data dir that cannot be written):
        no migration, no write ever. Raises like `open`; an older schema than this
        build's is refused (it would need a migration, which is a write)."""
        try:
            conn = read_only_connection(path)
            major, revision = current_revision(conn)
            if major > SCHEMA_MAJOR:
                conn.close()
                raise SchemaTooNew(major)
            if revision is None or (revision in KNOWN_REVISIONS and revision != HEAD_REVISION):
                conn.close()
                raise StoreUnavailable(
                    f"The cache at {path} needs an upgrade, and its folder cannot be "
                    "written: nothing was changed; make it writable and try again.",
                    "unwritable")
            problem = schema_problem(conn)
        except sqlite3.DatabaseError as exc:
            raise _failure(path, exc) from exc
        if problem:
            conn.close()
            raise CorruptDatabase(path, problem)
        store = cls(path, conn)
        store.read_only = True
        return store

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
        conn = read_only_connection(self.path) if self.read_only else raw_reader(self.path)
        try:
            yield conn
        finally:
            conn.close()

    def _pragma(self, sql: str) -> list[tuple[object, ...]]:
        """Run a PRAGMA on the writer connection outside any transaction."""
        with self._lane:
            return self._conn.execute(sql).fetchall()

    def set_autocheckpoint(self, pages: int) -> None:
        """SQLite's auto-checkpoint threshold in WAL pages (0 turns it off)."""
        self._pragma(f"PRAGMA wal_autocheckpoint={int(pages)}")

    def begin_bulk(self) -> None:
        """A long run of write transactions (a sync) starts: checkpoint by size."""
        self.set_autocheckpoint(BULK_AUTOCHECKPOINT_PAGES)

    def end_bulk(self) -> None:
        """The run is over: back to the idle threshold, and the WAL truncated to nothing
        if the readers let us within TRUNCATE_WAIT_MS (else journal_size_limit trims it
        at the next reset). A failure here (a full disk) is logged, not raised: the data
        is safe in the WAL either way."""
        try:
            self.set_autocheckpoint(IDLE_AUTOCHECKPOINT_PAGES)
            self.truncate_wal()
        except sqlite3.Error as exc:
            log.info("could not checkpoint the cache after a sync: %s", exc)

    def truncate_wal(self) -> bool:
        """Checkpoint everything and truncate the WAL file; False if readers kept it."""
        with self._lane:
            self._conn.execute(f"PRAGMA busy_timeout={TRUNCATE_WAIT_MS}")
            try:
                busy = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            finally:
                self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return not busy

    def checkpoint(self) -> None:
        self._pragma("PRAGMA wal_checkpoint(PASSIVE)")


def _failure(path: Path, exc: sqlite3.DatabaseError) -> Exception:
    """CorruptDatabase when the file's content is wrong, else why it can't be used."""
    if is_damage(exc):
        return CorruptDatabase(path, str(exc))
    return unavailable(path, exc) or CorruptDatabase(path, str(exc))
