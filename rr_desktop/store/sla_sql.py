"""SLA columns kept in step inside the statements that change status (no triggers).

domain/sla.py states the rules; this module writes the same rules as SQL expressions so
the hot sync path computes them inside its one upsert (no extra statement, no per-row
trigger: docs/performance.md) and local edits in one UPDATE. The active policy lives in the
`sla_policy` table; statements inline its targets (cached per policy), and changing it
recomputes every open deadline.

Columns: acknowledged_at, contained_at, resolved_at (milestones), sla_paused_at (start of
the current pause), sla_paused_s (paused seconds so far), sla_due_at (the next deadline)
and sla_risk_at (when that clock turns at risk). The last two are NULL while paused and
once resolved, so their partial indexes only hold open, running items.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from functools import lru_cache

from ..domain.enums import Severity, Status
from ..domain.sla import (
    CONTAINED_STATUSES,
    RESOLVED_STATUSES,
    WAITING_STATUSES,
    SlaKind,
    SlaPolicy,
    SlaTargets,
)

MILESTONE_COLUMNS = ("acknowledged_at", "contained_at", "resolved_at", "sla_paused_at",
                     "sla_paused_s")
DEADLINE_COLUMNS = ("sla_due_at", "sla_risk_at")
SLA_COLUMNS = MILESTONE_COLUMNS + DEADLINE_COLUMNS


def _in(statuses: frozenset[Status]) -> str:
    return "(" + ", ".join(f"'{s.value}'" for s in sorted(statuses)) + ")"


_WAITING = _in(WAITING_STATUSES)
_CONTAINED = _in(CONTAINED_STATUSES)
_RESOLVED = _in(RESOLVED_STATUSES)


def sla_expressions(status: str, severity: str, created: str, at: str,
                    old: Callable[[str], str] | None, policy: SlaPolicy) -> dict[str, str]:
    """SQL expressions for every SLA column after a move to `status` at time `at`.

    Arguments are SQL expressions; `old(column)` gives a column's value before the change
    (None: a brand-new row). Each expression only reads old values, as SQLite's UPDATE
    and upsert SET clauses require, so later ones inline the earlier ones. The policy's
    targets are inlined as literals: a policy subquery per row cost ~20% of ingest.
    """
    def prev(col: str) -> str:
        return old(col) if old is not None else ("0" if col == "sla_paused_s" else "NULL")

    ack = (f"CASE WHEN {status} = 'new' THEN NULL "
           f"ELSE coalesce({prev('acknowledged_at')}, {at}) END")
    contained = (f"CASE WHEN {status} IN {_CONTAINED} THEN coalesce({prev('contained_at')}, "
                 f"{at}) WHEN {status} IN {_WAITING} THEN {prev('contained_at')} END")
    resolved = (f"CASE WHEN {status} IN {_RESOLVED} THEN coalesce({prev('resolved_at')}, "
                f"{at}) WHEN {status} IN {_WAITING} THEN {prev('resolved_at')} END")
    paused_at = (f"CASE WHEN {status} IN {_WAITING} THEN coalesce({prev('sla_paused_at')}, "
                 f"{at}) END")
    paused_s = (f"{prev('sla_paused_s')} + CASE WHEN {prev('sla_paused_at')} IS NOT NULL AND "
                f"{status} NOT IN {_WAITING} THEN max(0, {at} - {prev('sla_paused_at')}) "
                "ELSE 0 END")
    due, risk = deadline_expressions(ack, contained, resolved, paused_at, paused_s,
                                     severity, created, policy)
    return {"acknowledged_at": ack, "contained_at": contained, "resolved_at": resolved,
            "sla_paused_at": paused_at, "sla_paused_s": paused_s, "sla_due_at": due,
            "sla_risk_at": risk}


def _by_severity(severity: str, seconds: Callable[[SlaTargets], int],
                 policy: SlaPolicy) -> str:
    whens = " ".join(f"WHEN {int(sev)} THEN {seconds(t)}"
                     for sev, t in zip(Severity, policy.targets, strict=True))
    return f"CASE {severity} {whens} END"


def deadline_expressions(ack: str, contained: str, resolved: str, paused_at: str,
                         paused_s: str, severity: str, created: str,
                         policy: SlaPolicy) -> tuple[str, str]:
    """(sla_due_at, sla_risk_at) expressions from milestone expressions (next_deadline):
    due = created + paused + target; at risk from due - target * percent // 100."""
    pct = policy.at_risk_percent

    def offset(kind: SlaKind, risk: bool) -> str:
        def seconds(t: SlaTargets) -> int:
            return t.target(kind) - (t.target(kind) * pct // 100 if risk else 0)
        return _by_severity(severity, seconds, policy)

    def when(risk: bool) -> str:
        return (f"CASE WHEN ({resolved}) IS NOT NULL OR ({paused_at}) IS NOT NULL THEN NULL "
                f"WHEN ({ack}) IS NULL THEN {offset(SlaKind.ACKNOWLEDGE, risk)} "
                f"WHEN ({contained}) IS NULL THEN {offset(SlaKind.CONTAIN, risk)} "
                f"ELSE {offset(SlaKind.RESOLVE, risk)} END")

    base = f"{created} + ({paused_s}) + "
    return base + when(False), base + when(True)


@lru_cache(maxsize=8)
def _row_statements(policy: SlaPolicy) -> tuple[str, str]:
    """(recompute one row after a local change, recompute deadlines from milestones)."""
    exprs = sla_expressions("escalation.status", "escalation.severity",
                            "escalation.created_at", ":at", lambda c: f"escalation.{c}", policy)
    row = f"UPDATE escalation SET {_set_clause(exprs, SLA_COLUMNS)} WHERE id = :id"
    ack, contained, resolved, paused_at, paused_s, severity, created = (
        f"escalation.{c}" for c in ("acknowledged_at", "contained_at", "resolved_at",
                                    "sla_paused_at", "sla_paused_s", "severity", "created_at"))
    due, risk = deadline_expressions(ack, contained, resolved, paused_at, paused_s, severity,
                                     created, policy)
    return row, f"UPDATE escalation SET sla_due_at = {due}, sla_risk_at = {risk}"


def _set_clause(exprs: dict[str, str], columns: Sequence[str]) -> str:
    return ", ".join(f"{c} = {exprs[c]}" for c in columns)


def recompute_row(db: sqlite3.Connection, esc_id: int, at: int) -> None:
    """After a local change of status or severity at `at` (Unix seconds)."""
    db.execute(_row_statements(load_policy(db))[0], {"at": at, "id": esc_id})


def recompute_deadlines(db: sqlite3.Connection, ids: Sequence[int] | None = None) -> int:
    """Re-derive sla_due_at/sla_risk_at from the stored milestones (after milestones were
    restored by undo, or for every open row after a policy change); returns rows touched."""
    sql = _row_statements(load_policy(db))[1]
    if ids is None:
        return db.execute(sql + " WHERE resolved_at IS NULL").rowcount
    return db.execute(sql + " WHERE id IN (SELECT value FROM json_each(?))",
                      ("[" + ",".join(str(int(i)) for i in ids) + "]",)).rowcount


def load_policy(db: sqlite3.Connection) -> SlaPolicy:
    """The policy the cache computes deadlines with (defaults for missing severities)."""
    rows = {r[0]: r[1:] for r in db.execute(
        "SELECT severity, acknowledge_s, contain_s, resolve_s, at_risk_pct FROM sla_policy")}
    default = SlaPolicy.default()
    targets = tuple(SlaTargets(*rows[sev][:3]) if sev in rows else default.targets[sev]
                    for sev in Severity)
    percent = next(iter(rows.values()))[3] if rows else default.at_risk_percent
    return SlaPolicy((targets[0], targets[1], targets[2], targets[3]), percent)


def save_policy(db: sqlite3.Connection, policy: SlaPolicy) -> int:
    """Make `policy` the active one and recompute every open deadline; returns the number
    of escalations whose deadline was recomputed (one UPDATE, ~1 s per 100k open rows)."""
    db.executemany(
        "INSERT OR REPLACE INTO sla_policy (severity, acknowledge_s, contain_s, resolve_s, "
        "at_risk_pct) VALUES (?, ?, ?, ?, ?)",
        [(int(sev), t.acknowledge_s, t.contain_s, t.resolve_s, policy.at_risk_percent)
         for sev, t in zip(Severity, policy.targets, strict=True)])
    return recompute_deadlines(db)
