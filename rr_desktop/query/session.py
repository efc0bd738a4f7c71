"""The SQL console's connection: read-only, with a statement time limit, cancel from
another thread, and results read page by page (docs/sql-console.md).

One `QuerySession` is one connection of its own (never the app's reader or writer), used
by one thread at a time; `cancel()` may be called from any thread. A query runs under a
deadline checked by SQLite's progress handler (every `PROGRESS_STEPS` virtual-machine
steps) and stops with a sentence when it passes it or when cancelled; `interrupt()`
stops it at once.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..store.connections import read_only_connection
from .guard import (
    WRITE_VERBS,
    Authorizer,
    Refused,
    check_statement,
    leading_keyword,
    read_only_sentence,
    verb_phrase,
)
from .views import VIEWS, install_views

PROGRESS_STEPS = 1000  # ~20 us of work between checks of the deadline and cancel
DEFAULT_TIMEOUT_S = 30.0
PAGE_ROWS = 500
Row = tuple[Any, ...]


class QueryError(Exception):
    """A query that did not run or stopped; `str()` is one sentence. `kind`: "refused"
    (a write), "cancelled", "timeout", "error" (SQLite's complaint), "unavailable"."""

    def __init__(self, sentence: str, kind: str = "error") -> None:
        super().__init__(sentence)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class SchemaItem:
    """A table or view the console can query, with its columns (name, declared type)."""

    name: str
    kind: str  # "view" (the console's v_ views) | "table"
    doc: str
    columns: tuple[tuple[str, str], ...]


class QueryResult:
    """A running query's columns and the rows not read yet, read with `fetch(n)`."""

    def __init__(self, session: QuerySession, cursor: sqlite3.Cursor,
                 columns: tuple[str, ...]) -> None:
        self._session = session
        self._cursor: sqlite3.Cursor | None = cursor
        self.columns = columns
        self.fetched = 0

    @property
    def exhausted(self) -> bool:
        return self._cursor is None

    def fetch(self, n: int = PAGE_ROWS, timeout_s: float | None = None) -> list[Row]:
        """Up to `n` more rows ([] once exhausted), under a fresh deadline. Raises
        QueryError when cancelled or too slow (the result is then closed)."""
        cursor = self._cursor
        if cursor is None:
            return []
        with self._session._running(timeout_s):
            try:
                rows = cursor.fetchmany(n)
            except sqlite3.Error as exc:
                self.close()
                raise self._session._sentence(exc, "") from None
        self.fetched += len(rows)
        if len(rows) < n:
            self.close()
        return rows

    def close(self) -> None:
        """Let go of the statement (its read snapshot ends)."""
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None


class QuerySession:
    """A read-only connection to the cache with the console's views."""

    def __init__(self, conn: sqlite3.Connection, timeout_s: float | None) -> None:
        self._conn = conn
        self.timeout_s = timeout_s
        self._authorizer = Authorizer()
        self._lock = threading.Lock()
        self._busy = False
        self._cancelled = False
        self._deadline: float | None = None
        self._limit: float | None = timeout_s
        self._external_cancel: threading.Event | None = None
        conn.set_authorizer(self._authorizer)
        conn.set_progress_handler(self._progress, PROGRESS_STEPS)

    @classmethod
    def open(cls, path: Path, timeout_s: float | None = DEFAULT_TIMEOUT_S,
             cancel: threading.Event | None = None) -> QuerySession:
        """Open the cache at `path` for reading only. QueryError("unavailable") when
        there is no cache there or it cannot be read. `cancel`: an event that stops any
        query of this session once set (a job's cancel)."""
        if not path.exists():
            raise QueryError(f"There is no cache at {path} yet: open the app or run "
                             "`rr-desktop sync` first.", "unavailable")
        try:
            conn = read_only_connection(path)
            conn.execute("PRAGMA query_only=OFF")  # mode=ro still keeps the file as it is
            install_views(conn)
            conn.execute("PRAGMA query_only=ON")  # the third wall with mode=ro (guard.py)
        except sqlite3.Error as exc:
            raise QueryError(f"The cache at {path} could not be opened for reading: {exc}.",
                             "unavailable") from None
        session = cls(conn, timeout_s)
        session._external_cancel = cancel
        return session

    def close(self) -> None:
        self._conn.close()

    # -- running ---------------------------------------------------------------------

    def execute(self, sql: str, timeout_s: float | None = None) -> QueryResult:
        """Prepare and start `sql` (one statement); rows come with `QueryResult.fetch`.
        Raises QueryError with the sentence to show."""
        if not sql.strip() or not leading_keyword(sql):
            raise QueryError("Type a query first, e.g. SELECT * FROM v_escalations LIMIT 50.")
        try:
            check_statement(sql)
        except Refused as exc:
            raise QueryError(str(exc), "refused") from None
        self._authorizer.reset()
        with self._lock:
            self._cancelled = False
        with self._running(timeout_s):
            try:
                cursor = self._conn.execute(sql)
            except (sqlite3.Error, sqlite3.Warning) as exc:
                raise self._sentence(exc, sql) from None
        if cursor.description is None:
            cursor.close()
            raise QueryError("The statement returns no rows: the console runs queries "
                             "(SELECT, WITH, read-only PRAGMAs).")
        return QueryResult(self, cursor, tuple(str(d[0]) for d in cursor.description))

    def stream(self, sql: str, batch: int = 2000) -> tuple[tuple[str, ...], Iterator[Row]]:
        """Columns and every row of `sql`, read lazily (for exports: no row cap and no
        time limit per page beyond the session's own)."""
        result = self.execute(sql)

        def rows() -> Iterator[Row]:
            try:
                while not result.exhausted:
                    yield from result.fetch(batch)
            finally:
                result.close()

        return result.columns, rows()

    def cancel(self) -> None:
        """Stop the running query (any thread); the next `fetch` stops too."""
        with self._lock:
            self._cancelled = True
            if self._busy:
                self._conn.interrupt()

    def schema(self) -> list[SchemaItem]:
        """The console's views, then the cache's tables, each with its columns."""
        docs = {v.name: v.doc for v in VIEWS}
        items = [SchemaItem(v.name, "view", v.doc, self._columns(v.name)) for v in VIEWS]
        names = [r[0] for r in self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'escalation_fts_%' ORDER BY name")]
        items += [SchemaItem(n, "table", docs.get(n, ""), self._columns(n)) for n in names]
        return items

    def _columns(self, name: str) -> tuple[tuple[str, str], ...]:
        return tuple((str(r[1]), str(r[2] or "")) for r in self._conn.execute(
            f"PRAGMA table_info({_quote(name)})"))

    # -- internals -------------------------------------------------------------------

    class _Running:
        def __init__(self, session: QuerySession, timeout_s: float | None) -> None:
            self.session, self.timeout_s = session, timeout_s

        def __enter__(self) -> None:
            s = self.session
            limit = s.timeout_s if self.timeout_s is None else self.timeout_s
            with s._lock:
                s._deadline = time.monotonic() + limit if limit else None
                s._limit = limit
                s._busy = True

        def __exit__(self, *_exc: object) -> None:
            with self.session._lock:
                self.session._busy = False

    def _running(self, timeout_s: float | None) -> QuerySession._Running:
        return QuerySession._Running(self, timeout_s)

    def _progress(self) -> int:
        """SQLite's progress handler: non-zero stops the statement."""
        if self._cancelled or (self._external_cancel is not None
                               and self._external_cancel.is_set()):
            self._cancelled = True
            return 1
        deadline = self._deadline
        return 1 if deadline is not None and time.monotonic() > deadline else 0

    def _sentence(self, exc: BaseException, sql: str) -> QueryError:
        message = str(exc)
        if self._cancelled:
            return QueryError("Query cancelled.", "cancelled")
        if "interrupted" in message:
            return QueryError(f"The query ran longer than {self._limit or 0:g} s and was "
                              "stopped: narrow it (a WHERE, a LIMIT) or allow it more time.",
                              "timeout")
        if self._authorizer.denied is not None:
            what, verb = self._authorizer.denied, leading_keyword(sql)
            if verb in WRITE_VERBS and (self._authorizer.schema_only or verb == "REPLACE"):
                what = verb_phrase(sql, verb)
            return QueryError(read_only_sentence(what), "refused")
        if "readonly database" in message or "may not be modified" in message:
            verb = leading_keyword(sql)
            return QueryError(read_only_sentence(verb if verb in WRITE_VERBS
                                                 else "changing the cache"), "refused")
        if "one statement at a time" in message:
            return QueryError("Run one statement at a time (the console found more than "
                              "one).")
        return QueryError(f"The query failed: {message}.")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'

