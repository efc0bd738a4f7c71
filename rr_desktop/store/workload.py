"""The lead board's numbers (docs/lead-board.md): per analyst, open items by priority,
SLA at risk and breached, the oldest item nobody has touched yet; plus who should take an
item (the scoring itself is domain/assignment.py).

Read on a worker: one grouped walk of the assignee index over open items.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from ..domain import Analyst, PolicyCategory, Priority, Status
from ..domain.assignment import Candidate, ItemNeeds, Suggestion, suggest_assignees
from ..domain.roster_profile import AnalystProfile
from .roster import roster
from .timecodec import to_epoch

_OPEN = tuple(s.value for s in Status if s.is_open)
_MARKS = ", ".join("?" * len(_OPEN))
_PRIORITIES = len(Priority)


@dataclass(frozen=True, slots=True)
class AnalystLoad:
    """One row of the board. `by_priority[n]` counts open items at priority Pn;
    `at_risk` excludes the breached; `oldest_new_*`: the oldest assigned item still new
    (not triaged by anyone yet), None when there is none. `on_roster` is False for an
    assignee no source lists (typed by hand)."""

    analyst: Analyst
    profile: AnalystProfile
    by_priority: tuple[int, ...]
    at_risk: int = 0
    breached: int = 0
    oldest_new_at: int | None = None
    oldest_new_ref: str = ""
    on_roster: bool = True

    @property
    def open_items(self) -> int:
        return sum(self.by_priority)


@dataclass(frozen=True, slots=True)
class Workload:
    rows: tuple[AnalystLoad, ...]
    unassigned_open: int


def workload(db: sqlite3.Connection, now: datetime) -> Workload:
    """Every analyst on the roster (by name), then assignees no source lists (by id)."""
    now_s = to_epoch(now)
    counts: dict[str, list[int]] = {}
    risk: dict[str, tuple[int, int]] = {}
    for who, pri, n, breached, at_risk in db.execute(
            "SELECT assignee, priority, count(*), "
            "sum(sla_due_at IS NOT NULL AND sla_due_at <= ?), "
            "sum(sla_risk_at IS NOT NULL AND sla_risk_at <= ? "
            "    AND (sla_due_at IS NULL OR sla_due_at > ?)) "
            f"FROM escalation WHERE assignee IS NOT NULL AND status IN ({_MARKS}) "
            "GROUP BY assignee, priority", (now_s, now_s, now_s, *_OPEN)):
        row = counts.setdefault(who, [0] * _PRIORITIES)
        row[min(max(int(pri), 0), _PRIORITIES - 1)] += int(n)
        b, r = risk.get(who, (0, 0))
        risk[who] = (b + int(breached or 0), r + int(at_risk or 0))
    oldest = {who: (int(at), ref) for who, ref, at in db.execute(
        "SELECT assignee, external_id, min(created_at) FROM escalation "
        "WHERE assignee IS NOT NULL AND status = ? GROUP BY assignee", (Status.NEW.value,))}
    unassigned = int(db.execute(
        f"SELECT count(*) FROM escalation WHERE assignee IS NULL AND status IN ({_MARKS})",
        _OPEN).fetchone()[0])

    def load(a: Analyst, p: AnalystProfile, on_roster: bool) -> AnalystLoad:
        b, r = risk.get(a.id, (0, 0))
        at, ref = oldest.get(a.id, (None, ""))
        return AnalystLoad(a, p, tuple(counts.get(a.id, [0] * _PRIORITIES)), r, b, at, ref,
                           on_roster)

    entries = roster(db)
    listed = {e.analyst.id for e in entries}
    rows = [load(e.analyst, e.profile, True) for e in entries]
    rows += [load(Analyst(who, who), AnalystProfile(), False)
             for who in sorted(set(counts) - listed)]
    return Workload(tuple(rows), unassigned)


def item_needs(db: sqlite3.Connection, esc_id: int) -> ItemNeeds | None:
    """What an escalation asks of whoever takes it; None when it is not cached."""
    row = db.execute("SELECT language, market, category FROM escalation WHERE id = ?",
                     (esc_id,)).fetchone()
    if row is None:
        return None
    language, market, category = row
    known = {c.value for c in PolicyCategory}
    return ItemNeeds(language or "", market or "",
                     PolicyCategory(category) if category in known else None)


def suggestions_for(db: sqlite3.Connection, esc_id: int, now: datetime,
                    limit: int = 5) -> list[Suggestion]:
    """The roster's best candidates for an escalation, best first, with their reasons."""
    needs = item_needs(db, esc_id)
    if needs is None:
        return []
    candidates = [Candidate(e.analyst, e.profile, e.open_items) for e in roster(db)]
    return suggest_assignees(needs, candidates, now, limit)
