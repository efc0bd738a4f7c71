"""Views and search for the triage table: a view is a named search query; `/` searches
as you type (off the GUI thread, latest query wins) within the current view's rows.

`ViewQuery` is what the table model shows (`ids(conn)` in triage order); it is
immutable and comparable so a stale worker result for another view is ignored.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..store import search as store_search
from ..store import views as store_views

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class ViewQuery:
    """A saved view, optionally narrowed by a search typed with `/`."""

    title: str
    query: str
    me: str
    search: str = ""

    def text(self) -> str:
        return f"{self.query} {self.search}".strip()

    def ids(self, conn: sqlite3.Connection, limit: int | None = None) -> Sequence[int]:
        """The view's ids in triage order (the first `limit` of them, or all)."""
        parsed = store_search.parse_query(self.text())
        return array("q", store_search.search_ids(conn, parsed, self.me, datetime.now(UTC),
                                                  limit=limit))

    def ids_until(self, conn: sqlite3.Connection,
                  stop: Callable[[], bool]) -> Sequence[int] | None:
        """All the view's ids, or None once `stop()` says they are no longer wanted."""
        ids = store_search.search_ids_until(conn, self.text(), self.me, datetime.now(UTC),
                                            stop)
        return None if ids is None else array("q", ids)

    def errors(self) -> tuple[str, ...]:
        return tuple(store_search.parse_query(self.search).errors) if self.search else ()

    def narrowed(self, search: str) -> ViewQuery:
        return ViewQuery(self.title, self.query, self.me, search.strip())


def load_views(conn: sqlite3.Connection, me: str) -> list[ViewQuery]:
    """Every view in Ctrl+1..9 order: the built-in ones then the analyst's saved ones."""
    return [ViewQuery(v.name, v.query, me) for v in store_views.saved_views(conn)]
