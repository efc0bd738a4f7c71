"""The SQL aggregates behind the trends screen: each query groups in SQLite and returns
a few hundred or thousand rows, never the escalations themselves. The period is a range
of `created_at`, which the covering index `ix_escalation_trends` (migration 0009) serves
without reading the table (docs/trends.md, "Speed").
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from ..domain.enums import Severity
from ..domain.sla import SlaKind, SlaPolicy
from ..store.sla_sql import load_policy
from .zones import MARKET_LOCAL, Bucket, bucket_sql, market_offset_sql, offset_sql, segments

# A clock's milestone column, by clock.
MILESTONE = {SlaKind.ACKNOWLEDGE: "acknowledged_at", SlaKind.CONTAIN: "contained_at",
             SlaKind.RESOLVE: "resolved_at"}
# Durations are grouped to the minute: percentiles are exact to the minute, the query
# returns at most a few thousand groups whatever the number of rows.
RESOLUTION_S = 60


@dataclass(frozen=True, slots=True)
class TrendFilter:
    """What the analyst chose: a period [start, end) in Unix seconds, the zone buckets
    follow (an IANA name, or MARKET_LOCAL: each market's own), the bucket size, and
    markets, regions, categories and channel ids to keep (empty: all)."""

    start: int
    end: int
    zone: str = "UTC"
    bucket: Bucket = Bucket.DAY
    markets: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    channel_ids: tuple[int, ...] = ()

    @property
    def length(self) -> int:
        return self.end - self.start

    def previous(self) -> TrendFilter:
        """The same filter over the period of equal length just before this one."""
        return TrendFilter(self.start - self.length, self.start, self.zone, self.bucket,
                           self.markets, self.regions, self.categories, self.channel_ids)

    def shifted(self, start: int, end: int) -> TrendFilter:
        return TrendFilter(start, end, self.zone, self.bucket, self.markets, self.regions,
                           self.categories, self.channel_ids)


@dataclass(slots=True)
class Where:
    """A WHERE clause over `escalation` and its parameters."""

    sql: str
    params: list[object] = field(default_factory=list)


def where(f: TrendFilter, start: int | None = None, end: int | None = None) -> Where:
    w = Where("created_at >= ? AND created_at < ?",
              [f.start if start is None else start, f.end if end is None else end])
    for column, values in (("market", f.markets), ("region", f.regions),
                           ("category", f.categories), ("channel_id", f.channel_ids)):
        if values:
            w.sql += f" AND {column} IN (SELECT value FROM json_each(?))"
            w.params.append(json.dumps(list(values)))
    return w


def offset_expr(f: TrendFilter, start: int, end: int) -> str:
    """The SQL offset of each row's clock for this filter's zone choice."""
    if f.zone == MARKET_LOCAL:
        return market_offset_sql("created_at", "market", start - 86400, end + 86400,
                                 f.markets or None)
    return offset_sql("created_at", segments(f.zone, start - 86400, end + 86400))


CURRENT, PREVIOUS, OLDER = 1, 0, -1  # where a row falls: see CubeRow.side


@dataclass(frozen=True, slots=True)
class CubeRow:
    """Escalations of one (category, market, channel) created in one bucket, on one side
    of the period (`side`: CURRENT, PREVIOUS: the period of equal length before it, or
    OLDER), with the outcomes of their three SLA clocks (see `sla_outcomes_sql`)."""

    bucket: int
    category: str
    market: str
    channel_id: int
    side: int
    count: int
    sla: tuple[int, ...]  # per clock in MILESTONE order: on time, late, overdue, pending


def cube(db: sqlite3.Connection, f: TrendFilter, bucket: Bucket, start: int, now: int,
         detail_from: int | None = None) -> list[CubeRow]:
    """Every escalation created from `start` to the end of the period, counted per
    (category, market, channel, bucket, in the period or before it) with SLA outcomes at
    `now`. One pass over `ix_escalation_trends`, whose order (category, market, channel,
    created_at) lets SQLite sort only within each series. Rows created before
    `detail_from` (when given) all fall in bucket 0: their totals are wanted, not their
    series."""
    w = where(f, start, f.end)
    b = bucket_sql("created_at", offset_expr(f, start, f.end), bucket)
    if detail_from is not None:
        b = f"CASE WHEN created_at >= {int(detail_from)} THEN {b} ELSE 0 END"
    sla, sla_params = sla_outcomes_sql(load_policy(db), now)
    side = f"CASE WHEN created_at >= ? THEN {CURRENT} WHEN created_at >= ? THEN {PREVIOUS} " \
        f"ELSE {OLDER} END"
    sql = (f"SELECT category, market, channel_id, {b} AS b, {side} AS side, "
           f"count(*), {sla} FROM escalation WHERE {w.sql} "
           "GROUP BY category, market, channel_id, b, side")
    return [CubeRow(int(r[3]), str(r[0]), str(r[1]), int(r[2]), int(r[4]), int(r[5]),
                    tuple(int(v or 0) for v in r[6:]))
            for r in db.execute(sql, [f.start, f.previous().start, *sla_params, *w.params])]


def duration_histogram(db: sqlite3.Connection, f: TrendFilter, kind: SlaKind, start: int,
                       ) -> list[tuple[bool, int, int, int]]:
    """(in the period or before it, whole minutes from creation to the clock's milestone,
    count, sum of the exact seconds) of the escalations created from `start` to the end
    of the period that reached it (wall-clock time: pauses count; a milestone before
    creation, clock skew, counts as 0)."""
    col = MILESTONE[kind]
    w = where(f, start, f.end)
    sql = (f"SELECT created_at >= ? AS cur, max(0, {col} - created_at) / {RESOLUTION_S} "
           f"AS m, count(*), sum(max(0, {col} - created_at)) FROM escalation "
           f"WHERE {w.sql} AND {col} IS NOT NULL GROUP BY cur, m")
    return [(bool(r[0]), int(r[1]), int(r[2]), int(r[3]))
            for r in db.execute(sql, [f.start, *w.params])]


def _target_sql(policy: SlaPolicy, kind: SlaKind) -> str:
    whens = " ".join(f"WHEN {int(sev)} THEN {policy.for_severity(sev).target(kind)}"
                     for sev in Severity)
    return f"(CASE severity {whens} END)"


def sla_outcomes_sql(policy: SlaPolicy, now: int) -> tuple[str, list[object]]:
    """Twelve SUM columns (per clock: met in time, met late, overdue, pending) and their
    parameters, judging each escalation as domain/sla.py `clocks` does at `now`: a
    milestone reached later than the target (pauses taken off) is a breach; an unmet
    running clock is overdue from its due time; a paused or still running one pending."""
    parts: list[str] = []
    for kind, col in MILESTONE.items():
        target = _target_sql(policy, kind)
        met = f"max(0, {col} - created_at - sla_paused_s)"
        parts += [
            f"sum({col} IS NOT NULL AND {met} <= {target})",
            f"sum({col} IS NOT NULL AND {met} > {target})",
            f"sum({col} IS NULL AND sla_paused_at IS NULL AND "
            f"? - created_at - sla_paused_s >= {target})",
            f"sum({col} IS NULL AND (sla_paused_at IS NOT NULL OR "
            f"? - created_at - sla_paused_s < {target}))",
        ]
    return ", ".join(parts), [now, now] * len(MILESTONE)


def reporter_types(db: sqlite3.Connection, f: TrendFilter, start: int,
                   ) -> list[tuple[bool, str, int]]:
    """(in the period or before it, reporter type, escalations) from `start` on."""
    w = where(f, start, f.end)
    return [(bool(c), str(t), int(n)) for c, t, n in db.execute(
        f"SELECT created_at >= ? AS cur, reporter_type, count(*) FROM escalation "
        f"WHERE {w.sql} GROUP BY cur, reporter_type", [f.start, *w.params])]


def channel_names(db: sqlite3.Connection) -> dict[int, str]:
    return {int(i): str(n) for i, n in db.execute("SELECT id, name FROM channel")}


@dataclass(frozen=True, slots=True)
class IncidentTimes:
    """One incident: when it was declared and first reached each later stage."""

    uid: str
    title: str
    markets: tuple[str, ...]
    status: str
    declared_at: int
    contained_at: int | None
    resolved_at: int | None


def incident_times(db: sqlite3.Connection, start: int, end: int) -> list[IncidentTimes]:
    """Incidents declared in [start, end), from their `declare` and `status` events: the
    first move to contained or stable contains (resolved and closed count too, if no
    containment came first), the first to resolved or closed resolves."""
    sql = """
        SELECT d.incident_uid, coalesce(i.title, ''), coalesce(i.markets, ''),
               coalesce(i.status, ''), d.at,
               (SELECT min(s.at) FROM incident_event s WHERE s.incident_uid = d.incident_uid
                AND s.kind = 'status' AND json_extract(s.body, '$.data.status')
                IN ('contained', 'stable', 'resolved', 'closed')),
               (SELECT min(s.at) FROM incident_event s WHERE s.incident_uid = d.incident_uid
                AND s.kind = 'status' AND json_extract(s.body, '$.data.status')
                IN ('resolved', 'closed'))
        FROM incident_event d LEFT JOIN incident i ON i.uid = d.incident_uid
        WHERE d.kind = 'declare' AND d.at >= ? AND d.at < ?
        ORDER BY d.at"""
    out = []
    for uid, title, markets, status, declared, contained, resolved in db.execute(
            sql, (start, end)):
        out.append(IncidentTimes(str(uid), str(title), tuple(str(markets).split()),
                                 str(status), int(declared),
                                 None if contained is None else int(contained),
                                 None if resolved is None else int(resolved)))
    return out


def escalation_ids(db: sqlite3.Connection, start: int, end: int, category: str, market: str,
                   channel_id: int, limit: int = 200) -> list[int]:
    """The escalations of one (category, market, channel) created in [start, end)."""
    return [int(r[0]) for r in db.execute(
        "SELECT id FROM escalation WHERE created_at >= ? AND created_at < ? AND category = ? "
        "AND market = ? AND channel_id = ? ORDER BY created_at, id LIMIT ?",
        (start, end, category, market, channel_id, limit))]
