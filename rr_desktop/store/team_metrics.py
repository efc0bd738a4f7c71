"""The team metrics' inputs from the cache: each escalation's status history (the
timeline's `field_change` events on `status`) and the SLA targets; the figures are
domain/team_metrics.py. Read on a worker: the period's status events are found by a scan
of the event table, then each item's whole status history by its index."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from ..domain import Severity
from ..domain.team_metrics import (
    AnalystMetrics,
    ItemHistory,
    SlaTargets,
    StatusChange,
    team_metrics,
)
from .timecodec import from_epoch, to_epoch

_CHUNK = 500


def item_histories(db: sqlite3.Connection, start: datetime,
                   end: datetime) -> list[ItemHistory]:
    """Escalations with a status change in [start, end), each with its whole status
    history, oldest first."""
    ids = [r[0] for r in db.execute(
        "SELECT DISTINCT escalation_id FROM escalation_event WHERE kind = 'field_change' "
        "AND field = 'status' AND at >= ? AND at <= ?", (to_epoch(start), to_epoch(end)))]
    # Whole seconds either side; the domain keeps [start, end) exactly.
    found: list[ItemHistory] = []
    for n in range(0, len(ids), _CHUNK):
        chunk = ids[n:n + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        changes: dict[int, list[StatusChange]] = {}
        for esc_id, at, old, new, author in db.execute(
                "SELECT escalation_id, at, old, new, author FROM escalation_event "
                f"WHERE escalation_id IN ({marks}) AND kind = 'field_change' "
                "AND field = 'status' ORDER BY escalation_id, at, id", chunk):
            changes.setdefault(esc_id, []).append(
                StatusChange(from_epoch(at), str(old or ""), str(new or ""), author or None))
        for esc_id, created, severity, assignee in db.execute(
                f"SELECT id, created_at, severity, assignee FROM escalation "
                f"WHERE id IN ({marks})", chunk):
            found.append(ItemHistory(esc_id, from_epoch(created),
                                     Severity(min(max(int(severity), 0), 3)), assignee,
                                     tuple(changes.get(esc_id, ()))))
    return found


def sla_targets(db: sqlite3.Connection) -> SlaTargets:
    rows = db.execute("SELECT severity, acknowledge_s, contain_s FROM sla_policy").fetchall()
    return SlaTargets({Severity(s): int(a) for s, a, _c in rows if 0 <= s <= 3},
                      {Severity(s): int(c) for s, _a, c in rows if 0 <= s <= 3})


def metrics_for(db: sqlite3.Connection, start: datetime,
                end: datetime) -> list[AnalystMetrics]:
    """Per analyst with anything in [start, end)."""
    return team_metrics(item_histories(db, start, end), sla_targets(db), start, end)
