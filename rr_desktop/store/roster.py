"""The roster: analysts as the channels' sources list them (GET /v1/analysts and the like),
cached for the identity choice and the assignment picker, with each analyst's open load.

Identities come from here or from the analyst's own choice (settings `me`), never from
the OS login.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..domain import Analyst, PolicyCategory, Status
from ..domain.roster_profile import AnalystProfile, check_capacity
from ..domain.shift import ShiftSchedule

_OPEN = tuple(s.value for s in Status if s.is_open)
_COLUMNS = "id, name, email, languages, markets, skills, shift_zone, shift_hours, capacity"


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """One analyst, the team's own fields about them, and how many open escalations are
    assigned to them in the cache."""

    analyst: Analyst
    open_items: int = 0
    profile: AnalystProfile = field(default_factory=AnalystProfile)

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
    """Every analyst by name, with the team's fields and their open load (an index range
    per analyst)."""
    rows = db.execute(f"SELECT {_COLUMNS} FROM analyst ORDER BY name LIMIT ?",
                      (limit,)).fetchall()
    if not rows:
        return []
    marks = ", ".join("?" * len(_OPEN))
    load = dict(db.execute(
        f"SELECT a.id, (SELECT count(*) FROM escalation e WHERE e.assignee = a.id AND "
        f"e.status IN ({marks})) FROM analyst a", _OPEN).fetchall())
    return [RosterEntry(_analyst(r), int(load.get(r[0], 0)), _profile(r)) for r in rows]


def analyst(db: sqlite3.Connection, analyst_id: str) -> Analyst | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM analyst WHERE id = ?", (analyst_id,)).fetchone()
    return None if row is None else _analyst(row)


def profile(db: sqlite3.Connection, analyst_id: str) -> AnalystProfile | None:
    """The team's fields of one analyst; None when the roster has no such analyst."""
    row = db.execute(f"SELECT {_COLUMNS} FROM analyst WHERE id = ?", (analyst_id,)).fetchone()
    return None if row is None else _profile(row)


def save_profile(db: sqlite3.Connection, analyst_id: str, p: AnalystProfile) -> bool:
    """Store the team's fields of an analyst on the roster (a sync never touches them);
    False when no analyst has that id."""
    check_capacity(p.capacity)
    cur = db.execute(
        "UPDATE analyst SET skills = ?, shift_zone = ?, shift_hours = ?, capacity = ? "
        "WHERE id = ?",
        (" ".join(s.value for s in p.skills), p.shift.zone if p.shift else "",
         p.shift.text() if p.shift else "", p.capacity, analyst_id))
    return cur.rowcount > 0


def _analyst(row: tuple[object, ...]) -> Analyst:
    i, n, e, langs, markets = (str(v) for v in row[:5])
    return Analyst(i, n, e, tuple(langs.split()), tuple(markets.split()))


def _profile(row: tuple[object, ...]) -> AnalystProfile:
    """The stored fields; a value this build cannot read (written by hand, an unknown
    policy area, a zone the system no longer has) reads as not set rather than failing
    the whole roster."""
    skills_text, zone, hours, capacity = row[5:9]
    known = {c.value for c in PolicyCategory}
    skills = tuple(PolicyCategory(w) for w in str(skills_text).split() if w in known)
    shift: ShiftSchedule | None = None
    if zone and hours:
        try:
            shift = ShiftSchedule.parse(str(zone), str(hours))
        except ValueError:
            shift = None
    cap = capacity if isinstance(capacity, int) and capacity > 0 else None
    return AnalystProfile(skills, shift, cap)
