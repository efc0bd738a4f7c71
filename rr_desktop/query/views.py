"""Views over the cache that are pleasant to query in the SQL console (docs/sql-console.md).

They are TEMP views, made on the console's own connection before it turns read-only: the
cache file never holds them (no migration), and they follow the schema this build knows.
Times are ISO-8601 text: `*_utc` in UTC with a `Z`, `*_market` on the market's clock with
its offset (domain/markets.py MARKET_ZONES; NULL for a market without a known zone).
Severity, urgency and priority read as S0.., U0.., P0...
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from ..domain.enums import Status
from ..domain.markets import MARKET_ZONES


@dataclass(frozen=True, slots=True)
class ConsoleView:
    """One view: its name, what one row is, and the SQL after `AS`."""

    name: str
    doc: str
    sql: str


def _utc(col: str) -> str:
    return f"strftime('%Y-%m-%dT%H:%M:%SZ', {col}, 'unixepoch')"


def _yes(cond: str) -> str:
    return f"CASE WHEN {cond} THEN 'yes' ELSE 'no' END"


_CLOSED = "(" + ", ".join(f"'{s.value}'" for s in Status if not s.is_open) + ")"
_OPEN_CHECK = f"e.status NOT IN {_CLOSED}"
# A milestone reached after its target: a breach even once closed (store/triage_queries.py).
_LATE = ("coalesce((SELECT (e.acknowledged_at - e.created_at - e.sla_paused_s > p.acknowledge_s)"
         " OR (e.contained_at - e.created_at - e.sla_paused_s > p.contain_s)"
         " OR (e.resolved_at - e.created_at - e.sla_paused_s > p.resolve_s)"
         " FROM sla_policy p WHERE p.severity = e.severity), 0)")
_NOW = "unixepoch()"

VIEWS: tuple[ConsoleView, ...] = (
    ConsoleView("v_escalations", "one row per cached escalation, readable", f"""
SELECT e.id, c.name AS channel, e.external_id, e.title, e.status,
       'S' || e.severity AS severity, 'U' || e.urgency AS urgency,
       'P' || e.priority AS priority, e.category, e.market, e.region, e.language,
       e.assignee, e.queue, e.tags, e.reporter, e.reporter_type,
       {_utc('e.created_at')} AS created_utc,
       rr_market_time(e.created_at, e.market) AS created_market,
       {_utc('e.updated_at')} AS updated_utc,
       {_utc('e.deadline_at')} AS deadline_utc,
       {_utc('e.snoozed_until')} AS snoozed_until_utc,
       {_utc('e.acknowledged_at')} AS acknowledged_utc,
       {_utc('e.contained_at')} AS contained_utc,
       {_utc('e.resolved_at')} AS resolved_utc,
       {_utc('e.sla_due_at')} AS sla_due_utc,
       e.incident_id, i.title AS incident, e.duplicate_of, e.views, e.shares,
       e.content_url
FROM escalation e JOIN channel c ON c.id = e.channel_id
LEFT JOIN incident i ON i.id = e.incident_id"""),
    ConsoleView("v_incidents", "one row per incident, as the incident list shows it", f"""
SELECT i.id, i.uid, i.title, i.status, i.type, i.severity, i.priority, i.markets,
       (SELECT count(*) FROM escalation e WHERE e.incident_id = i.id) AS linked,
       {_utc('i.created_at')} AS declared_utc, i.created_by AS declared_by,
       {_utc('coalesce(i.updated_at, i.created_at)')} AS updated_utc,
       i.conflicts,
       (SELECT count(*) FROM incident_event v WHERE v.incident_uid = i.uid
        AND v.state != 'sent') AS unsent_changes
FROM incident i"""),
    ConsoleView("v_sla", "one row per escalation: its SLA clock now", f"""
SELECT e.id, c.name AS channel, e.external_id, e.title, 'S' || e.severity AS severity,
       'P' || e.priority AS priority, e.status, e.market, e.assignee,
       CASE WHEN e.sla_due_at IS NULL THEN NULL
            WHEN e.acknowledged_at IS NULL THEN 'acknowledge'
            WHEN e.contained_at IS NULL THEN 'contain' ELSE 'resolve' END AS clock,
       {_utc('e.sla_due_at')} AS due_utc,
       rr_market_time(e.sla_due_at, e.market) AS due_market,
       {_utc('e.sla_risk_at')} AS at_risk_from_utc,
       CASE WHEN e.sla_paused_at IS NOT NULL THEN 'paused'
            WHEN e.sla_due_at IS NULL THEN
                 CASE WHEN {_OPEN_CHECK} THEN NULL WHEN {_LATE} THEN 'breached' ELSE 'met' END
            WHEN {_NOW} >= e.sla_due_at THEN 'breached'
            WHEN e.sla_risk_at IS NOT NULL AND {_NOW} >= e.sla_risk_at THEN 'at risk'
            ELSE 'ok' END AS state,
       {_yes(f"e.sla_risk_at <= {_NOW} AND e.sla_due_at > {_NOW}")} AS at_risk,
       {_yes(f"e.sla_due_at <= {_NOW} OR {_LATE}")} AS breached,
       {_yes(_LATE)} AS met_late,
       {_yes("e.sla_paused_at IS NOT NULL")} AS paused,
       (e.sla_paused_s + CASE WHEN e.sla_paused_at IS NOT NULL
            THEN max(0, {_NOW} - e.sla_paused_at) ELSE 0 END) / 60 AS paused_minutes
FROM escalation e JOIN channel c ON c.id = e.channel_id"""),
    ConsoleView("v_timeline", "one row per event of an escalation's timeline", f"""
SELECT ev.id, ev.escalation_id, c.name AS channel, e.external_id, e.title,
       {_utc('ev.at')} AS at_utc, ev.kind, ev.field, ev.old, ev.new, ev.reason,
       ev.author, ev.source,
       CASE WHEN ev.op_id IS NULL THEN NULL ELSE coalesce(o.state, 'sent') END AS delivery
FROM escalation_event ev JOIN escalation e ON e.id = ev.escalation_id
JOIN channel c ON c.id = e.channel_id LEFT JOIN outbox o ON o.op_id = ev.op_id"""),
)
VIEW_NAMES = tuple(v.name for v in VIEWS)


@lru_cache(maxsize=64)
def _zone(market: str) -> ZoneInfo | None:
    name = MARKET_ZONES.get(market.upper())
    return ZoneInfo(name) if name else None


def market_time(ts: object, market: object) -> str | None:
    """ISO-8601 text of epoch seconds `ts` on `market`'s clock (with its offset), or None
    when either is missing or the market has no known zone."""
    if not isinstance(ts, int) or not isinstance(market, str):
        return None
    zone = _zone(market)
    if zone is None:
        return None
    try:
        return datetime.fromtimestamp(ts, UTC).astimezone(zone).isoformat()
    except (OverflowError, OSError, ValueError):  # a hostile timestamp out of range
        return None


def install_views(conn: sqlite3.Connection) -> None:
    """Register `rr_market_time` and create the TEMP views (before the connection turns
    read-only; they live and die with it)."""
    conn.create_function("rr_market_time", 2, market_time, deterministic=True)
    for view in VIEWS:
        conn.execute(f"CREATE TEMP VIEW {view.name} AS {view.sql}")
