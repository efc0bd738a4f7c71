"""Opening the SQLite cache the way it keeps its promises (docs/cache-safety.md).

- DB file created 0600 before SQLite opens it, in a 0700 directory (-wal/-shm inherit it);
- the cache, its -wal and -shm are never opened outside SQLite (POSIX locks, see
  prepare_db_file);
- WAL, synchronous=FULL, busy_timeout, foreign keys on every connection;
- the writer connection runs in autocommit mode and `Store.write()` opens every
  transaction with BEGIN IMMEDIATE, so a read-then-write transaction waits for the lock
  (busy_timeout) instead of failing with "database is locked";
- readers get their own connections with query_only on, so UI reads never take the write
  lock.

Plain sqlite3, no SQLAlchemy: the runtime paths (writes, reads) use the driver directly,
and SQLAlchemy + Alembic are imported only when a migration has to run (see
store/migrate.py and store/migration_connections.py). That keeps ~150 ms of imports off start-up.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

log = logging.getLogger("rr_desktop.store")

BUSY_TIMEOUT_MS = 10_000
# The WAL file is cut back to this size whenever it restarts after a checkpoint, so a
# long sync's WAL does not keep its peak size while the app stays open.
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024
_COMMON = (
    "PRAGMA synchronous=FULL",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}",
)
PRAGMAS = ("PRAGMA journal_mode=WAL", *_COMMON)


def make_private_dir(path: Path) -> None:
    """Create `path` and every missing parent 0700, and tighten `path` itself to 0700.

    `Path.mkdir(parents=True)` would create the parents with the process umask (0777 under
    umask 000); each is made here one by one with an explicit chmod. A directory we do
    not own, or one on a read-only mount, keeps its mode (the file modes still protect us;
    a read-only cache is reported when SQLite opens it)."""
    missing: list[Path] = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:  # made meanwhile by someone else: theirs to keep
            continue
        os.chmod(directory, 0o700)  # mkdir's mode went through the umask
    _tighten(path, 0o700)


def _tighten(path: Path, mode: int) -> None:
    """chmod by path (never through a descriptor, see prepare_db_file), only if needed."""
    try:
        if path.stat().st_mode & 0o777 != mode:
            os.chmod(path, mode)
    except OSError as exc:  # not ours, or a read-only mount
        log.warning("could not set mode %o on %s: %s", mode, path, exc.strerror or exc)


def prepare_db_file(path: Path) -> None:
    """Create the data dir (0700) and an empty DB file (0600) if missing; tighten modes.

    An existing cache is never opened here, only chmod-ed by path: this process may
    already have it open in SQLite (a second Store, the migration engine), and closing
    ANY descriptor of a file drops every POSIX lock the process holds on it. Another
    process would then believe it was the last connection and checkpoint and delete the
    -wal and -shm under us (sqlite.org, "How To Corrupt An SQLite Database File", 2.2).
    The file is created here only when it does not exist (O_EXCL), so nothing in this
    process can have it open yet. -wal and -shm take the DB file's mode (SQLite)."""
    make_private_dir(path.parent)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        _tighten(path, 0o600)
        return
    try:
        os.fchmod(fd, 0o600)  # os.open's mode went through the umask
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


def read_only_connection(path: Path) -> sqlite3.Connection:
    """A connection that never writes, for a data dir that cannot be written. SQLite
    needs the -shm file to read a WAL database; when it is absent and cannot be created
    (a read-only folder after a clean close, when no WAL is left either), the file is
    read as immutable: nobody can be changing it, as nobody can write there."""
    if not path.exists():
        raise sqlite3.OperationalError("unable to open database file")
    for mode in ("mode=ro", "immutable=1"):
        conn = sqlite3.connect(f"{path.as_uri()}?{mode}", uri=True, check_same_thread=False,
                               isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            for pragma in _COMMON:
                conn.execute(pragma)
            conn.execute("PRAGMA query_only=ON")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            conn.close()
            if mode == "immutable=1":
                raise
            continue
        return conn
    raise AssertionError("unreachable")


def raw_reader(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 read connection for hot paths (the triage model's row windows)."""
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                           timeout=BUSY_TIMEOUT_MS / 1000)
    apply_pragmas(conn)
    conn.execute("PRAGMA query_only=ON")
    return conn
