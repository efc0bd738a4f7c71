"""Saved views as data: a view is a name and a search query (store/search.py).

The built-in views come first (`g t`, `g m`, `g s` and Ctrl+1..5); the analyst's own views
follow in the `saved_view` table; Ctrl+1..9 open the first nine of `saved_views`.
Snoozed items leave Triage until their time comes and return by themselves: the queries
compare `snoozed_until` with now (`wake_due_snoozes` then clears the field and records it).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from .search import SearchQuery, parse_query, search_ids

SHORTCUT_SLOTS = 9


@dataclass(frozen=True, slots=True)
class SavedView:
    """A named query. `key` is the built-in's stable id (None for the analyst's views)."""

    name: str
    query: str
    key: str | None = None

    @property
    def builtin(self) -> bool:
        return self.key is not None

    @property
    def title(self) -> str:
        """The name as a window or tab title (same as `name`)."""
        return self.name

    def parsed(self) -> SearchQuery:
        return parse_query(self.query)


TRIAGE = SavedView("Triage", "status:new -is:snoozed", "triage")
MINE = SavedView("Mine", "assignee:me is:open", "mine")
SNOOZED = SavedView("Snoozed", "is:snoozed", "snoozed")
SLA_AT_RISK = SavedView("SLA at risk", "is:at_risk is:open", "sla_at_risk")
ALL = SavedView("All", "", "all")
BUILTIN_VIEWS = (TRIAGE, MINE, SNOOZED, SLA_AT_RISK, ALL)
DEFAULT_VIEWS = BUILTIN_VIEWS


def view_named(name: str, own: tuple[SavedView, ...] = ()) -> SavedView | None:
    """A built-in (or one of `own`) by name, case-insensitive."""
    return next((v for v in (*BUILTIN_VIEWS, *own) if v.name.lower() == name.lower()), None)


def view_ids(db: sqlite3.Connection, view: SavedView | str, me: str,
             now: datetime) -> list[int]:
    """Every id of the view in triage order (a view may also be given as a query)."""
    query = view.query if isinstance(view, SavedView) else view
    return search_ids(db, query, me, now, limit=None)


def saved_views(db: sqlite3.Connection) -> list[SavedView]:
    """Built-in views, then the analyst's in their order (Ctrl+1..9 map to the first 9)."""
    own = [SavedView(r[0], r[1]) for r in db.execute(
        "SELECT name, query FROM saved_view ORDER BY position, id")]
    return [*BUILTIN_VIEWS, *own]


def shortcut_views(db: sqlite3.Connection) -> list[SavedView]:
    """The views behind Ctrl+1 .. Ctrl+9, in order."""
    return saved_views(db)[:SHORTCUT_SLOTS]


def save_view(db: sqlite3.Connection, name: str, query: str) -> SavedView:
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
    return SavedView(clean, query.strip())


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
