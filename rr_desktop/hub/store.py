"""The hub's store: one SQLAlchemy engine on PostgreSQL (psycopg 3) or an SQLite file.

`HubStore.open(url)` migrates to head (the hub's own Alembic revisions,
`rr_desktop/hub/migrations/`) and hands out transactions: `write()` for anything that
changes rows (on SQLite a `BEGIN IMMEDIATE`, so writers queue at the start instead of
failing to upgrade a read lock; on PostgreSQL READ COMMITTED), `read()` for queries.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from . import schema

BUSY_TIMEOUT_S = 30.0
PG_POOL = 30  # connections to PostgreSQL, at most (the server's thread pool has 40)
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The hub's revisions, oldest first (a test checks it against the scripts).
KNOWN_REVISIONS = ("h0001", "h0002", "h0003")
HEAD_REVISION = KNOWN_REVISIONS[-1]
VERSION_TABLE = "hub_alembic_version"


class HubStoreError(Exception):
    """The store cannot be used; the message is one sentence for the admin."""


def utc_stamp(now: datetime | None = None) -> str:
    """ISO-8601 UTC with milliseconds and a Z (the hub's stored time format)."""
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{now.microsecond // 1000:03d}Z"


def engine_url(url: str) -> str:
    """`postgresql://` (and `postgres://`) mean psycopg 3; SQLite URLs stay as given."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _sqlite_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN itself
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON",
                   f"busy_timeout={int(BUSY_TIMEOUT_S * 1000)}"):
        dbapi_conn.execute(f"PRAGMA {pragma}")


def create_hub_engine(url: str) -> Engine:
    """An engine for `url`; a one-sentence HubStoreError when it names no usable database."""
    try:
        parsed = make_url(engine_url(url))
    except ArgumentError as exc:
        raise HubStoreError(f"{url!r} is not a database URL "
                            "(postgresql://user@host/db or sqlite:///path).") from exc
    try:
        if parsed.get_backend_name() == "sqlite":
            if parsed.database in (None, "", ":memory:"):
                raise HubStoreError("The hub needs an SQLite file, not an in-memory database.")
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed, pool_size=8, max_overflow=8,
                                   connect_args={"check_same_thread": False,
                                                 "timeout": BUSY_TIMEOUT_S})
            event.listen(engine, "connect", _sqlite_connect)

            @event.listens_for(engine, "begin")
            def _begin(conn: Connection) -> None:
                mode = conn.info.pop("rr_begin", "IMMEDIATE")
                conn.exec_driver_sql(f"BEGIN {mode}")

            return engine
        if parsed.get_backend_name() == "postgresql":
            # Every connection stays in the pool: an overflow connection is closed when it
            # comes back, so bursts (50 desktops polling) opened and closed up to 22 a
            # second, each a new PostgreSQL backend (docs/hub.md, "Load"). 30 at most, as
            # before; past that a request waits for one.
            return create_engine(parsed, pool_size=PG_POOL, max_overflow=0,
                                 pool_pre_ping=True)
    except NoSuchModuleError as exc:
        raise HubStoreError(f"No database driver for {parsed.drivername}.") from exc
    except ImportError as exc:
        raise HubStoreError("PostgreSQL needs psycopg 3: pip install 'rr-desktop[hub]'."
                            ) from exc
    raise HubStoreError(f"The hub runs on PostgreSQL or SQLite, not {parsed.get_backend_name()}.")


class HubStore:
    """The hub's database at head revision."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @classmethod
    def open(cls, url: str, migrate: bool = True) -> HubStore:
        engine = create_hub_engine(url)
        try:
            if migrate:
                upgrade(engine)
            else:
                with engine.connect() as conn:
                    conn.execute(select(schema.counter.c.value).limit(1)).all()
        except OperationalError as exc:
            engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise HubStoreError(f"Cannot open the hub's database: {reason}.") from exc
        return cls(engine)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: committed at the end of the block, rolled back on error."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """One read transaction (on SQLite a deferred BEGIN: readers never queue)."""
        with self.engine.connect() as conn:
            conn.info["rr_begin"] = "DEFERRED"
            with conn.begin():
                yield conn

    def close(self) -> None:
        self.engine.dispose()


def upgrade(engine: Engine) -> bool:
    """Bring the database to head; True if a revision ran. A revision this build does
    not know (a newer hub wrote it) is refused, not downgraded."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        current = MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE}).get_current_revision()
    if current == HEAD_REVISION:
        return False
    if current is not None and current not in KNOWN_REVISIONS:
        raise HubStoreError(f"This hub database is at revision {current}, newer than this "
                            f"rr-desktop knows ({HEAD_REVISION}); update rr-desktop.")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.connect() as conn, conn.begin():
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return True
