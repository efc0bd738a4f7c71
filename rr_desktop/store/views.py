"""Views as data: a view is a name and a search query (store/search.py).

The built-in views come first (`g t`, `g m`, `g s` and Ctrl+1..5); the analyst's own views
follow in the `saved_view` table; Ctrl+1..9 open the first nine of `saved_views`.
Snoozed items leave Triage until their time comes and return by themselves: the queries
compare `snoozed_until` with now (`wake_due_snoozes` then clears the field and records it).
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from .search import SearchQuery, parse_query, search_ids, search_ids_until
from .timecodec import utcnow

SHORTCUT_SLOTS = 9


@dataclass(frozen=True, slots=True)
class View:
    """What the triage table shows: a named search query (a built-in view or one the
    analyst saved), optionally narrowed by a search typed with `/`, for one analyst (whom
    `assignee:me` means). Immutable and comparable, so a worker's result for a view that
    is no longer shown is recognised and dropped.

    `key` is a built-in view's stable id (None for the analyst's own views)."""

    name: str
    query: str
    key: str | None = None
    search: str = ""
    me: str = ""
    sort: str = ""  # a `sort:` value ("-sla", "age"); "" is triage order

    @property
    def builtin(self) -> bool:
        return self.key is not None

    @property
    def title(self) -> str:
        """The name as a window or tab title (same as `name`)."""
        return self.name

    def text(self) -> str:
        """The query the table runs: the view's own, the typed search, the sort."""
        sort = f"sort:{self.sort}" if self.sort else ""
        return " ".join(p for p in (self.query, self.search, sort) if p)

    def sorted_by(self, sort: str) -> View:
        """This view in another order ("" for triage order)."""
        return replace(self, sort=sort)

    def parsed(self) -> SearchQuery:
        return parse_query(self.query)

    def errors(self) -> tuple[str, ...]:
        """Problems of the typed search (the view's own query was checked when saved)."""
        return tuple(parse_query(self.search).errors) if self.search else ()

    def narrowed(self, search: str) -> View:
        """This view with `search` typed into the search box."""
        return replace(self, search=search.strip())

    def unnarrowed(self) -> View:
        return replace(self, search="", sort="")

    def for_analyst(self, me: str) -> View:
        return replace(self, me=me)

    def ids(self, db: sqlite3.Connection, limit: int | None = None,
            now: datetime | None = None) -> array[int]:
        """The view's ids in triage order (the first `limit` of them, or all)."""
        return array("q", search_ids(db, self.text(), self.me, now or utcnow(), limit=limit))

    def ids_until(self, db: sqlite3.Connection, stop: Callable[[], bool],
                  now: datetime | None = None) -> array[int] | None:
        """All the view's ids, or None once `stop()` says they are no longer wanted."""
        ids = search_ids_until(db, self.text(), self.me, now or utcnow(), stop)
        return None if ids is None else array("q", ids)


TRIAGE = View("Triage", "status:new -is:snoozed", "triage")
MINE = View("Mine", "assignee:me is:open", "mine")
SNOOZED = View("Snoozed", "is:snoozed", "snoozed")
SLA_AT_RISK = View("SLA at risk", "is:at_risk is:open", "sla_at_risk")
ALL = View("All", "", "all")
BUILTIN_VIEWS = (TRIAGE, MINE, SNOOZED, SLA_AT_RISK, ALL)


def view_named(name: str, own: tuple[View, ...] = ()) -> View | None:
    """A built-in (or one of `own`) by name, case-insensitive."""
    return next((v for v in (*BUILTIN_VIEWS, *own) if v.name.lower() == name.lower()), None)


def saved_views(db: sqlite3.Connection, me: str = "") -> list[View]:
    """Built-in views, then the analyst's in their order (Ctrl+1..9 map to the first 9),
    for analyst `me`."""
    own = [View(r[0], r[1]) for r in db.execute(
        "SELECT name, query FROM saved_view ORDER BY position, id")]
    return [v.for_analyst(me) for v in (*BUILTIN_VIEWS, *own)]


def shortcut_views(db: sqlite3.Connection) -> list[View]:
    """The views behind Ctrl+1 .. Ctrl+9, in order."""
    return saved_views(db)[:SHORTCUT_SLOTS]


def save_view(db: sqlite3.Connection, name: str, query: str) -> View:
    """Add or replace the analyst's view `name`; ValueError (sentences) for a bad name or
    a query with errors."""
    clean = " ".join(name.split())
    if not clean or len(clean) > 60:
        raise ValueError("A view needs a name of 1 to 60 characters.")
    if any(v.name.lower() == clean.lower() for v in BUILTIN_VIEWS):
        raise ValueError(f"{clean!r} is a built-in view; choose another name.")
    parsed = parse_query(query)
    if parsed.errors:
        raise ValueError(" ".join(parsed.errors))
    position = db.execute("SELECT coalesce(max(position), 0) + 1 FROM saved_view").fetchone()[0]
    db.execute("INSERT INTO saved_view (name, query, position) VALUES (?, ?, ?) "
               "ON CONFLICT (name) DO UPDATE SET query = excluded.query",
               (clean, query.strip(), position))
    return View(clean, query.strip())


def delete_view(db: sqlite3.Connection, name: str) -> bool:
    return bool(db.execute("DELETE FROM saved_view WHERE name = ?", (name,)).rowcount)


def move_view(db: sqlite3.Connection, name: str, position: int) -> None:
    """Put the analyst's view `name` at `position` (0-based among their own views)."""
    names = [r[0] for r in db.execute("SELECT name FROM saved_view ORDER BY position, id")]
    if name not in names:
        raise ValueError(f"There is no saved view called {name!r}.")
    names.remove(name)
    names.insert(max(0, min(position, len(names))), name)
    db.executemany("UPDATE saved_view SET position = ? WHERE name = ?",
                   [(i + 1, n) for i, n in enumerate(names)])
