"""The roster: analysts as the channels' sources list them (GET /v1/analysts and the like),
cached for the identity choice and the assignment picker, with each analyst's open load.

Identities come from here or from the analyst's own choice (settings `me`), never from
the OS login.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from ..domain import Analyst, Status

_OPEN = tuple(s.value for s in Status if s.is_open)


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """One analyst and how many open escalations are assigned to them in the cache."""

    analyst: Analyst
    open_items: int = 0

    def describe(self) -> str:
        """"SG MY · en ms zh · 4 open" (what a picker shows beside the name)."""
        a = self.analyst
        parts = [" ".join(a.markets), " ".join(a.languages), f"{self.open_items} open"]
        return " \u00b7 ".join(p for p in parts if p)


def save_roster(db: sqlite3.Connection, analysts: Iterable[Analyst]) -> int:
    """Insert or update analysts by id (a source's roster); returns how many changed."""
    rows = [(a.id.strip(), a.name.strip() or a.id.strip(), a.email, " ".join(a.languages),
             " ".join(a.markets)) for a in analysts if a.id.strip()]
    before = db.total_changes
    db.executemany(
        "INSERT INTO analyst (id, name, email, languages, markets) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, "
        "languages = excluded.languages, markets = excluded.markets WHERE "
        "(analyst.name, analyst.email, analyst.languages, analyst.markets) IS NOT "
        "(excluded.name, excluded.email, excluded.languages, excluded.markets)", rows)
    return db.total_changes - before


def roster(db: sqlite3.Connection, limit: int = 2000) -> list[RosterEntry]:
    """Every analyst by name, with their open load (an index range per analyst)."""
    analysts = [Analyst(i, n, e, tuple(langs.split()), tuple(markets.split()))
                for i, n, e, langs, markets in db.execute(
                    "SELECT id, name, email, languages, markets FROM analyst ORDER BY name "
                    "LIMIT ?", (limit,))]
    if not analysts:
        return []
    marks = ", ".join("?" * len(_OPEN))
    load = dict(db.execute(
        f"SELECT a.id, (SELECT count(*) FROM escalation e WHERE e.assignee = a.id AND "
        f"e.status IN ({marks})) FROM analyst a", _OPEN).fetchall())
    return [RosterEntry(a, int(load.get(a.id, 0))) for a in analysts]


def analyst(db: sqlite3.Connection, analyst_id: str) -> Analyst | None:
    row = db.execute("SELECT id, name, email, languages, markets FROM analyst WHERE id = ?",
                     (analyst_id,)).fetchone()
    if row is None:
        return None
    return Analyst(row[0], row[1], row[2], tuple(row[3].split()), tuple(row[4].split()))
