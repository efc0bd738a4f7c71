"""Backup and restore of the pilot's SQLite hub database (docs/hub-operations.md).

`backup` copies the database with SQLite's online backup API: one read transaction, so
the copy is the database as of one commit even while the hub keeps writing, WAL
included. The copy is checked, switched to a rollback journal (one self-contained
file) and renamed into place, so a half-written backup never carries the name.

`restore` refuses while a hub serves that file (the serving lock, below), a file that
is not a hub database, and one written by a newer rr-desktop; the database it replaces
is first copied (again by the backup API) to `<name>.before-restore-<UTC time>`.

A hub serving an SQLite file holds an exclusive `flock` on `<file>.lock` (its pid
inside) for as long as it runs; the kernel drops it when the process ends, however it
ends, so a stale lock file never blocks anyone.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .store import KNOWN_REVISIONS, VERSION_TABLE, HubStoreError, engine_url


def sqlite_path(url: str) -> Path | None:
    """The file of an `sqlite:///` URL; None for PostgreSQL. HubStoreError otherwise."""
    try:
        parsed = make_url(engine_url(url))
    except ArgumentError as exc:
        raise HubStoreError(f"{url!r} is not a database URL.") from exc
    if parsed.get_backend_name() == "postgresql":
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        raise HubStoreError("Backup and restore work on the hub's SQLite file or point to "
                            "pg_dump for PostgreSQL; this URL is neither.")
    return Path(parsed.database).absolute()


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


@contextmanager
def serving_lock(db: Path, purpose: str) -> Iterator[None]:
    """Hold the database's exclusive lock for the block; a HubStoreError at once if a
    hub (or a restore) holds it. `purpose` ends the refusal: "stop it first."."""
    db.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(db), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise HubStoreError(f"A hub (pid {holder}) is using {db}; {purpose}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the flock


@dataclass(frozen=True)
class HubFile:
    """What a checked hub database holds, for the one-line summary."""

    revision: str
    analysts: int
    feed_seq: int


def _connect_existing(path: Path, what: str) -> sqlite3.Connection:
    if not path.is_file():
        raise HubStoreError(f"There is no {what} at {path}.")
    try:
        return sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise HubStoreError(f"Cannot open {path}: {exc}.") from exc


def inspect(conn: sqlite3.Connection, path: Path) -> HubFile:
    """The hub revision and counts of an SQLite database, or a one-sentence HubStoreError:
    not a database, damaged, not a hub's, or from a newer rr-desktop."""
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            raise HubStoreError(f"{path} is damaged (SQLite's check says: "
                                f"{check[0] if check else 'nothing'}).")
        row = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                           "name = ?", (VERSION_TABLE,)).fetchone()
        if row is None:
            raise HubStoreError(f"{path} is not a hub database (it has no hub revision).")
        revision = conn.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()
        if revision is None:
            raise HubStoreError(f"{path} is not a hub database (its revision is empty).")
        if revision[0] not in KNOWN_REVISIONS:
            raise HubStoreError(f"{path} was written by a newer rr-desktop (revision "
                                f"{revision[0]}; this one knows up to {KNOWN_REVISIONS[-1]}); "
                                "update rr-desktop first.")
        analysts = conn.execute("SELECT count(*) FROM hub_analyst").fetchone()[0]
        seq = conn.execute("SELECT value FROM hub_counter WHERE name = 'feed'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise HubStoreError(f"{path} is not a hub database ({exc}).") from exc
    return HubFile(str(revision[0]), int(analysts), int(seq[0]) if seq else 0)


def _copy(source: sqlite3.Connection, target: Path) -> None:
    """`source` as of one read transaction into the new file `target`, as one
    self-contained file (rollback journal), fsynced."""
    with closing(sqlite3.connect(target)) as dest:
        source.backup(dest)
        dest.execute("PRAGMA journal_mode=DELETE")
        dest.commit()
    with open(target, "rb+") as f:
        os.fsync(f.fileno())


def backup(url: str, to: Path) -> HubFile:
    """Copy the hub's SQLite database to `to` (which must not exist yet), consistently,
    while the hub runs or not."""
    db = sqlite_path(url)
    if db is None:
        raise HubStoreError("Backups of a PostgreSQL hub are made with pg_dump, not "
                            "rr-desktop: pg_dump -Fc -f hub.dump 'postgresql://...' "
                            '(docs/hub-operations.md, "Backups").')
    to = to.absolute()
    if to.exists():
        raise HubStoreError(f"{to} already exists; name a new file (a backup never "
                            "overwrites one).")
    if not to.parent.is_dir():
        raise HubStoreError(f"There is no directory {to.parent} to write the backup to.")
    partial = to.with_name(f".{to.name}.partial-{os.getpid()}")
    with closing(_connect_existing(db, "hub database")) as source:
        inspect(source, db)
        try:
            _copy(source, partial)
            with closing(sqlite3.connect(f"file:{partial}?mode=ro", uri=True)) as copy:
                summary = inspect(copy, partial)
            os.replace(partial, to)
        finally:
            partial.unlink(missing_ok=True)
    _fsync_dir(to.parent)
    return summary


def restore(url: str, source_file: Path) -> tuple[HubFile, Path | None]:
    """Replace the hub's SQLite database with `source_file` (checked first); returns
    what was restored and where the replaced database was kept (None if there was none)."""
    db = sqlite_path(url)
    if db is None:
        raise HubStoreError("A PostgreSQL hub is restored with pg_restore, not "
                            'rr-desktop (docs/hub-operations.md, "Backups").')
    source_file = source_file.absolute()
    if source_file == db:
        raise HubStoreError(f"{source_file} is the hub's own database; restore from a "
                            "backup file.")
    with closing(_connect_existing(source_file, "backup file")) as source:
        restored = inspect(source, source_file)
        with serving_lock(db, "stop it before restoring."):
            kept = None
            if db.exists():
                kept = _dated(db)
                with closing(sqlite3.connect(db, timeout=30)) as current:
                    _copy(current, kept)
                    current.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    source.backup(current)
                    current.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                _copy(source, db)
            _fsync_dir(db.parent)
    return restored, kept


def _dated(db: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = db.with_name(f"{db.name}.before-restore-{stamp}")
    n = 2
    while candidate.exists():
        candidate = db.with_name(f"{db.name}.before-restore-{stamp}-{n}")
        n += 1
    return candidate


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
