"""The lead board's rebalance proposal read from the cache (the rules are
domain/rebalance.py; applying it is the AssignEach action, one undo batch)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from ..domain import PolicyCategory, Priority, Status
from ..domain.assignment import Candidate, ItemNeeds
from ..domain.rebalance import OpenItem, Proposal, propose_rebalance
from .roster import roster

_OPEN = tuple(s.value for s in Status if s.is_open)
_MARKS = ", ".join("?" * len(_OPEN))
_CATEGORIES = {c.value: c for c in PolicyCategory}


def open_items(db: sqlite3.Connection) -> list[OpenItem]:
    """Every open escalation with what it asks of whoever takes it."""
    return [
        OpenItem(esc_id, ref, title, Priority(min(max(int(pri), 0), len(Priority) - 1)),
                 int(created), assignee, status != Status.NEW.value,
                 ItemNeeds(language or "", market or "", _CATEGORIES.get(category)))
        for esc_id, ref, title, pri, created, assignee, status, language, market, category
        in db.execute(
            "SELECT id, external_id, title, priority, created_at, assignee, status, language, "
            f"market, category FROM escalation WHERE status IN ({_MARKS})", _OPEN)]


def rebalance_proposal(db: sqlite3.Connection, now: datetime) -> Proposal:
    candidates = [Candidate(e.analyst, e.profile, e.open_items) for e in roster(db)]
    return propose_rebalance(open_items(db), candidates, now)
