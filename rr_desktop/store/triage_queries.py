"""Read queries behind the triage list: ids in view order, rows by id, one escalation's
detail. All run on read connections; ordering and filtering stay in SQLite (indexes that
end in the triage order), never in Python."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..domain import Priority, Severity, Status
from ..domain.sla import SlaClock, SlaPolicy, SlaState, clocks
from .channel_state import channel_pushes
from .timecodec import utcnow
from .timeline import TimelineEntry, delivery_state, reason_stays_local

TRIAGE_ORDER = "priority, created_at, id"

ROW_COLUMNS = (
    "id", "severity", "priority", "status", "market", "channel", "title", "created_at",
    "assignee", "priority_raised_at", "urgency", "remote_version", "sla_due_at",
    "sla_risk_at", "sla_paused", "snoozed_until", "has_conflict", "queue", "incident_id",
    "duplicate_of", "sla_late",
)
_ROW_SQL = (
    "SELECT e.id, e.severity, e.priority, e.status, e.market, c.name, e.title, e.created_at, "
    "e.assignee, e.priority_raised_at, e.urgency, e.remote_version, e.sla_due_at, "
    "e.sla_risk_at, e.sla_paused_at IS NOT NULL, e.snoozed_until, EXISTS (SELECT 1 FROM "
    "conflict k WHERE k.resolved_at IS NULL AND k.escalation_id = e.id), e.queue, "
    "e.incident_id, e.duplicate_of, "
    # A milestone reached after its target: a breach even once closed (met late).
    "coalesce((SELECT (e.acknowledged_at - e.created_at - e.sla_paused_s > p.acknowledge_s) "
    "OR (e.contained_at - e.created_at - e.sla_paused_s > p.contain_s) "
    "OR (e.resolved_at - e.created_at - e.sla_paused_s > p.resolve_s) "
    "FROM sla_policy p WHERE p.severity = e.severity), 0) "
    "FROM escalation e JOIN channel c ON c.id = e.channel_id WHERE e.id IN "
)


@dataclass(frozen=True, slots=True)
class TriageRow:
    """What one line of the triage table shows."""

    id: int
    severity: Severity
    priority: Priority
    status: Status
    market: str
    channel: str
    title: str
    created_at: int
    assignee: str | None
    priority_raised_at: int | None
    urgency: int
    remote_version: int
    # 0002 (issue 3): SLA and local triage state. sla_due_at / sla_risk_at are the next
    # clock's deadline and the moment it turns at risk (None while paused or resolved).
    sla_due_at: int | None = None
    sla_risk_at: int | None = None
    sla_paused: bool = False
    snoozed_until: int | None = None
    has_conflict: bool = False
    queue: str | None = None
    incident_id: int | None = None
    duplicate_of: int | None = None
    sla_late: bool = False  # a milestone was reached after its target

    def sla_state(self, now_s: int) -> SlaState | None:
        """The next clock's state at `now_s`; once closed, MET, or BREACHED when a
        target was met late (None if unknown)."""
        if self.sla_paused:
            return SlaState.PAUSED
        if self.sla_due_at is None:
            if self.status.is_open:
                return None
            return SlaState.BREACHED if self.sla_late else SlaState.MET
        if now_s >= self.sla_due_at:
            return SlaState.BREACHED
        if self.sla_risk_at is not None and now_s >= self.sla_risk_at:
            return SlaState.AT_RISK
        return SlaState.OK

    def is_snoozed(self, now_s: int) -> bool:
        return self.snoozed_until is not None and self.snoozed_until > now_s


def rows_by_id(db: sqlite3.Connection, ids: Sequence[int]) -> dict[int, TriageRow]:
    """Rows for a window of ids (any depth costs the same: primary-key lookups)."""
    if not ids:
        return {}
    out: dict[int, TriageRow] = {}
    for r in db.execute(_ROW_SQL + f"({', '.join('?' * len(ids))})", list(ids)):
        out[r[0]] = TriageRow(r[0], Severity(r[1]), Priority(r[2]), Status(r[3]), r[4], r[5],
                              r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13],
                              bool(r[14]), r[15], bool(r[16]), r[17], r[18], r[19],
                              bool(r[20]))
    return out


@dataclass(frozen=True, slots=True)
class LinkedItem:
    """An escalation linked to the one shown: its canonical, or one of its duplicates."""

    id: int
    relation: str  # "canonical" | "duplicate"
    title: str
    status: str
    channel: str
    external_id: str = ""  # the source's id: how the analyst knows it


@dataclass(frozen=True, slots=True)
class IncidentRef:
    """The incident an escalation belongs to."""

    id: int
    title: str
    status: str


@dataclass(frozen=True, slots=True)
class EscalationDetail:
    """Everything the detail pane shows about one escalation."""

    fields: dict[str, Any]
    priority_reasons: tuple[str, ...]
    facts: tuple[tuple[int, str], ...]
    timeline: tuple[TimelineEntry, ...]
    pending_ops: int
    open_conflicts: int
    # 0002 (issue 3)
    duplicate_of: int | None = None
    incident: IncidentRef | None = None
    sla: tuple[SlaClock, ...] = ()
    linked: tuple[LinkedItem, ...] = ()
    linked_more: int = 0  # duplicates beyond the LINKED_LIMIT listed
    # 0003: the source's formatted body (untrusted HTML; shown only through SafeHtml)
    body_html: str | None = None


LINKED_LIMIT = 50


def escalation_detail(db: sqlite3.Connection, esc_id: int, now: datetime | None = None,
                      policy: SlaPolicy | None = None) -> EscalationDetail | None:
    """The detail of one escalation; SLA clocks at `now` under `policy` (default: now and
    the cache's active policy)."""
    cur = db.execute(
        "SELECT e.*, c.name AS channel FROM escalation e JOIN channel c ON c.id = e.channel_id "
        "WHERE e.id = ?", (esc_id,))
    row = cur.fetchone()
    if row is None:
        return None
    fields = dict(zip([d[0] for d in cur.description], row, strict=True))
    timeline = _timeline(db, esc_id, channel_pushes(db, fields["channel_id"]))
    pending = db.execute("SELECT count(*) FROM outbox WHERE escalation_id = ? "
                         "AND state = 'pending'", (esc_id,)).fetchone()[0]
    conflicts = db.execute("SELECT count(*) FROM conflict WHERE escalation_id = ? "
                           "AND resolved_at IS NULL", (esc_id,)).fetchone()[0]
    # The source's facts, then those logged here that it does not hold yet (or never will).
    facts = tuple((int(f["at"]), str(f["text"])) for f in json.loads(fields.pop("facts"))) \
        + tuple((e.at, f"{e.author}: {e.new}" if e.author else str(e.new)) for e in timeline
                if e.kind == "fact" and e.delivery != "done")
    reasons = tuple(json.loads(fields.pop("priority_reasons")))
    body_html = fields.pop("body_html", None)
    incident = None
    if fields.get("incident_id") is not None:
        found = db.execute("SELECT id, title, status FROM incident WHERE id = ?",
                           (fields["incident_id"],)).fetchone()
        incident = IncidentRef(*found) if found else None
    if policy is None:
        from .sla_sql import load_policy

        policy = load_policy(db)
    sla = clocks(fields, policy, now or utcnow())
    linked, more = _linked(db, esc_id, fields.get("duplicate_of"))
    return EscalationDetail(fields, reasons, facts, timeline, pending, conflicts,
                            fields.get("duplicate_of"), incident, sla, linked, more,
                            body_html or None)


def _timeline(db: sqlite3.Connection, esc_id: int,
              pushes: frozenset[str] | None) -> tuple[TimelineEntry, ...]:
    """The escalation's events, each with how far it got to the source (`pushes`: what
    the channel's source receives, for a reason that stays behind)."""
    out = []
    for at, kind, field, old, new, reason, author, source, op_id, state, error in db.execute(
            "SELECT e.at, e.kind, e.field, e.old, e.new, e.reason, e.author, e.source, "
            "e.op_id, o.state, o.last_error FROM escalation_event e LEFT JOIN outbox o "
            "ON o.op_id = e.op_id WHERE e.escalation_id = ? ORDER BY e.at, e.id", (esc_id,)):
        delivery = delivery_state(source, kind, field, op_id, state)
        out.append(TimelineEntry(at, kind, field, old, new, reason, author, source, delivery,
                                 error, reason_stays_local(field, reason, delivery, pushes)))
    return tuple(out)


def _linked(db: sqlite3.Connection, esc_id: int,
            canonical: int | None) -> tuple[tuple[LinkedItem, ...], int]:
    sql = ("SELECT e.id, e.title, e.status, c.name, e.external_id FROM escalation e "
           "JOIN channel c ON c.id = e.channel_id WHERE ")
    out: list[LinkedItem] = []
    if canonical is not None:
        row = db.execute(sql + "e.id = ?", (canonical,)).fetchone()
        if row is not None:
            out.append(LinkedItem(row[0], "canonical", row[1], row[2], row[3], row[4]))
    dupes = db.execute(sql + "e.duplicate_of = ? ORDER BY e.id LIMIT ?",
                       (esc_id, LINKED_LIMIT + 1)).fetchall()
    out.extend(LinkedItem(r[0], "duplicate", r[1], r[2], r[3], r[4])
               for r in dupes[:LINKED_LIMIT])
    more = 0
    if len(dupes) > LINKED_LIMIT:
        more = db.execute("SELECT count(*) FROM escalation WHERE duplicate_of = ?",
                          (esc_id,)).fetchone()[0] - LINKED_LIMIT
    return tuple(out), more
