"""A parsed search as one SQL statement in triage order (priority, created_at, id), with
its driver chosen from the data.

This SQLite build has no STAT4 histograms, and sqlite_stat1 averages hide the skew that
matters ("new" is 4% of the rows, "resolved" 30%), so without help the planner walks the
triage index for a 500-row snooze list (2 s at 1M rows) or joins 100k FTS hits row by row.
Instead, each condition that can drive the query (an index whose leading column it
constrains, the FTS match, open conflicts) is counted up to ESTIMATE_CAP (one index range,
about a millisecond) and the smallest one drives, forced with INDEXED BY or a CROSS JOIN:

- an index ending in the triage order, with one value, streams rows already in order, so
  with a LIMIT it stops early even when its range is large;
- `id:` (a list handed over by another screen) drives from the primary key;
- a common FTS term becomes a set (`id IN (SELECT rowid ...)`, built once) probed while
  an index walks; a rare one drives from its rowids and the few hits are sorted;
- with nothing selective, the triage index is walked (it carries the columns filters use
  most, so the walk reads no rows): with a LIMIT it stops once enough rows match.

Negations of small sets become `id NOT IN (small set)` so the main walk stays on its index.
`region:` matches the markets of the region (region is derived from market on ingest), so
it runs on the market index.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..domain import Status
from ..domain.markets import REGION_OF_MARKET
from .search import Filter, SearchQuery, instant

TRIAGE_ORDER = "e.priority, e.created_at, e.id"
TRIAGE_INDEX = "ix_escalation_triage"
ESTIMATE_CAP = 20_000  # rows counted per driver when the query has a LIMIT
ESTIMATE_CAP_ALL = 200_000  # ... and when it reads every match (views)
_OPEN = tuple(s.value for s in Status if s.is_open)
_CLOSED = tuple(s.value for s in Status if not s.is_open)
_COLUMN = {"sev": "severity", "pri": "priority", "status": "status", "cat": "category"}
# is: values whose rows are few and sit in a partial index.
_SMALL_IS = frozenset({"snoozed", "breached", "at_risk", "conflict", "paused"})
_IS_INDEX = {"snoozed": ("ix_escalation_snoozed", False),
             "breached": ("ix_escalation_sla_due", False),
             "at_risk": ("ix_escalation_sla_risk", False),
             "mine": ("ix_escalation_assignee_triage", True),
             "unassigned": ("ix_escalation_assignee_triage", True),
             "open": ("ix_escalation_status_triage", False),
             "closed": ("ix_escalation_status_triage", False)}
# Columns each driver index holds (rows it streams need no table lookup for these).
_TRIAGE_COLS = frozenset({"priority", "created_at", "id"})
_FILTER_COLS = frozenset({"severity", "category", "channel_id", "market"})
COVERS: dict[str, frozenset[str]] = {
    TRIAGE_INDEX: _TRIAGE_COLS | _FILTER_COLS | {"status"},
    "ix_escalation_status_triage": _TRIAGE_COLS | _FILTER_COLS | {"status"},
    "ix_escalation_assignee_triage": _TRIAGE_COLS | {"assignee", "status"},
    "ix_escalation_market_triage": _TRIAGE_COLS | {"market"},
    "ix_escalation_queue_triage": _TRIAGE_COLS | {"queue"},
    "ix_escalation_incident_triage": _TRIAGE_COLS | {"incident_id"},
    "ix_escalation_snoozed": _TRIAGE_COLS | {"snoozed_until"},
    "ix_escalation_sla_due": _TRIAGE_COLS | {"sla_due_at"},
    "ix_escalation_sla_risk": _TRIAGE_COLS | {"sla_risk_at"},
}
_OP_COLS = {"sev": "severity", "pri": "priority", "status": "status", "cat": "category",
            "market": "market", "region": "market", "channel": "channel_id",
            "assignee": "assignee", "queue": "queue", "incident": "incident_id",
            "before": "created_at", "after": "created_at", "id": "id"}
_IS_COLS = {"snoozed": "snoozed_until", "mine": "assignee", "unassigned": "assignee",
            "breached": "sla_due_at", "at_risk": "sla_risk_at", "paused": "sla_paused_at",
            "open": "status", "closed": "status", "conflict": "id"}
_CONFLICTS = "SELECT DISTINCT escalation_id AS id FROM conflict WHERE resolved_at IS NULL"
_FTS = "SELECT rowid AS id FROM escalation_fts WHERE escalation_fts MATCH ?"


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def _is_sql(value: str, a: str, me: str, now_s: int) -> tuple[str, list[Any]]:
    if value == "snoozed":
        return f"{a}.snoozed_until > ?", [now_s]
    if value == "mine":
        return f"{a}.assignee = ?", [me]
    if value == "breached":
        return f"{a}.sla_due_at <= ?", [now_s]
    if value == "at_risk":
        return f"{a}.sla_risk_at <= ?", [now_s]
    if value == "conflict":
        return f"{a}.id IN ({_CONFLICTS})", []
    if value == "paused":
        return f"{a}.sla_paused_at IS NOT NULL", []
    if value == "unassigned":
        return f"{a}.assignee IS NULL", []
    statuses = _OPEN if value == "open" else _CLOSED
    return f"{a}.status IN ({_marks(len(statuses))})", list(statuses)


def _nullable_in(column: str, values: list[Any], none_word: str) -> tuple[str, list[Any]]:
    named = [v for v in values if v != none_word]
    parts = [f"{column} IN ({_marks(len(named))})"] if named else []
    if len(named) < len(values):
        parts.append(f"{column} IS NULL")
    return " OR ".join(parts), named


def filter_sql(f: Filter, a: str, me: str, now: datetime) -> tuple[str, list[Any]]:
    """The positive condition of one filter on table alias `a`."""
    values = list(f.values)
    if f.op in _COLUMN:
        cast: list[Any] = [int(v) for v in values] if f.op in ("sev", "pri") else values
        return f"{a}.{_COLUMN[f.op]} IN ({_marks(len(values))})", cast
    if f.op in ("market", "region"):
        markets = values if f.op == "market" else sorted(
            m for m, r in REGION_OF_MARKET.items() if r.value in values)
        return f"{a}.market IN ({_marks(len(markets))})", markets
    if f.op == "channel":
        m = _marks(len(values))
        return (f"{a}.channel_id IN (SELECT id FROM channel WHERE lower(name) IN ({m}) "
                f"OR lower(kind) IN ({m}))", values + values)
    if f.op == "assignee":
        return _nullable_in(f"{a}.assignee", [me if v == "me" else v for v in values], "none")
    if f.op == "queue":
        return _nullable_in(f"{a}.queue", values, "none")
    if f.op == "incident":
        return _nullable_in(f"{a}.incident_id",
                            [v if v == "none" else int(v) for v in values], "none")
    if f.op == "id":
        return f"{a}.id IN ({_marks(len(values))})", [int(v) for v in values]
    if f.op in ("before", "after"):
        return f"{a}.created_at {'<' if f.op == 'before' else '>='} ?", [instant(values[0], now)]
    parts, args = [], []
    for value in values:  # is:
        sql, more = _is_sql(value, a, me, int(now.timestamp()))
        parts.append(sql)
        args.extend(more)
    return " OR ".join(parts), args


def _condition(f: Filter, me: str, now: datetime) -> tuple[str, list[Any]]:
    if not f.negated:
        sql, args = filter_sql(f, "e", me, now)
        return f"({sql})", args
    small = (f.op == "is" and set(f.values) <= _SMALL_IS) or (
        f.op in ("queue", "incident") and "none" not in f.values)
    if small:  # walk the main index, probe a small set
        sql, args = filter_sql(f, "x", me, now)
        return f"e.id NOT IN (SELECT x.id FROM escalation x WHERE {sql})", args
    sql, args = filter_sql(f, "e", me, now)
    return f"NOT coalesce(({sql}), 0)", args


def _columns(f: Filter) -> frozenset[str]:
    """The escalation columns a filter's condition reads on the main table."""
    if f.negated and ((f.op == "is" and set(f.values) <= _SMALL_IS) or (
            f.op in ("queue", "incident") and "none" not in f.values)):
        return frozenset({"id"})  # NOT IN (small set)
    if f.op == "is":
        return frozenset(_IS_COLS[v] for v in f.values)
    return frozenset({_OP_COLS[f.op]})


def _driver_index(f: Filter) -> tuple[str, bool] | None:
    """(index, rows come out in triage order) for a positive filter that can drive."""
    one = len(f.values) == 1
    if f.negated:
        return None
    if f.op == "status":
        return "ix_escalation_status_triage", one
    if f.op == "pri":
        return TRIAGE_INDEX, True
    if f.op == "market":
        return "ix_escalation_market_triage", one
    if f.op == "region":
        return "ix_escalation_market_triage", False
    if f.op == "assignee":
        return "ix_escalation_assignee_triage", one
    if f.op in ("queue", "incident") and "none" not in f.values:
        return f"ix_escalation_{f.op}_triage", one
    if f.op == "is" and one:
        return _IS_INDEX.get(f.values[0])
    return None


@dataclass(slots=True)
class _Driver:
    name: str  # an index, "fts" or "conflict"
    ordered: bool
    count_sql: str
    count_args: list[Any]
    estimate: int = 0


@dataclass(frozen=True, slots=True)
class Plan:
    """The statement for a query and what drives it (for benchmarks and debugging)."""

    driver: str
    sql: str
    args: list[Any] = field(default_factory=list)


def _implied_away(filters: tuple[Filter, ...]) -> tuple[Filter, ...]:
    """Drop `is:open` next to `is:at_risk`/`is:breached` (deadlines exist only while open)."""
    timed = any(f.op == "is" and not f.negated and len(f.values) == 1
                and f.values[0] in ("at_risk", "breached") for f in filters)
    if not timed:
        return filters
    return tuple(f for f in filters if not (f.op == "is" and not f.negated
                                            and f.values == ("open",)))


def plan(db: sqlite3.Connection | None, query: SearchQuery, me: str, now: datetime,
         limit: int | None) -> Plan:
    """Choose the driver (with `db`, from capped counts; without, by rule) and build SQL."""
    filters = _implied_away(query.filters)
    conds: list[tuple[str, list[Any]]] = [_condition(f, me, now) for f in filters]
    drivers: list[_Driver] = []
    for f, (sql, args) in zip(filters, conds, strict=True):
        if f.op == "is" and f.values == ("conflict",) and not f.negated:
            drivers.append(_Driver("conflict", False, _CONFLICTS, []))
        elif f.op == "id" and not f.negated:  # a handful of rows by primary key
            drivers.append(_Driver("ids", False, f"SELECT e.id FROM escalation e WHERE {sql}",
                                   args))
        elif (found := _driver_index(f)) is not None:
            drivers.append(_Driver(found[0], found[1], f"SELECT 1 FROM escalation e INDEXED "
                                   f"BY {found[0]} WHERE {sql}", args))
    match = query.fts_match()
    if match is not None:
        drivers.append(_Driver("fts", False, _FTS, [match]))
    exclude = query.fts_exclude()
    if exclude is not None:
        conds.append(("e.id NOT IN (SELECT rowid FROM escalation_fts "
                      "WHERE escalation_fts MATCH ?)", [exclude]))
    needs = frozenset().union(*(_columns(f) for f in filters)) if filters else frozenset()
    best = _choose(db, drivers, limit, needs)
    where_parts = [c for c, _ in conds]
    args = [a for _, more in conds for a in more]
    if best is not None and best.name in ("fts", "conflict", "ids"):
        source = f"({best.count_sql}) d CROSS JOIN escalation e ON e.id = d.id"
        args = best.count_args + args
        if best.name == "conflict":  # the driver is that condition: do not check it twice
            where_parts.remove(f"(e.id IN ({_CONFLICTS}))")
    else:
        index = best.name if best is not None else TRIAGE_INDEX
        source = f"escalation e INDEXED BY {index}"
        if match is not None:
            where_parts.insert(0, f"e.id IN ({_FTS})")
            args.insert(0, match)
    where = (" WHERE " + " AND ".join(where_parts)) if where_parts else ""
    sql = f"SELECT e.id FROM {source}{where} ORDER BY {_order(query)}"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(int(limit))
    return Plan(best.name if best is not None else TRIAGE_INDEX, sql, args)


# What each `sort:` key orders by (ascending); triage order breaks ties. Channel sorts by
# its id (the channel table would need a join; ids are stable per channel).
_SORT_SQL = {
    "sev": "e.severity", "pri": "e.priority", "status": "e.status", "market": "e.market",
    "channel": "e.channel_id", "title": "e.title COLLATE NOCASE", "age": "e.created_at DESC",
    "sla": "e.sla_due_at IS NULL, e.sla_due_at", "assignee": "e.assignee IS NULL, e.assignee",
}


def _order(query: SearchQuery) -> str:
    """ORDER BY: the `sort:` keys, then triage order."""
    parts = []
    for key, descending in query.sort:
        sql = _SORT_SQL[key]
        if descending:
            sql = ", ".join(_reverse(p.strip()) for p in sql.split(","))
        parts.append(sql)
    return ", ".join([*parts, TRIAGE_ORDER]) if parts else TRIAGE_ORDER


def _reverse(term: str) -> str:
    if term.endswith(" DESC"):
        return term[:-5]
    if term.endswith(" IS NULL"):
        return term  # empty values stay last either way
    return f"{term} DESC"


def _choose(db: sqlite3.Connection | None, drivers: list[_Driver], limit: int | None,
            needs: frozenset[str] = frozenset()) -> _Driver | None:
    """The driver to force, or None to walk the triage index.

    With a LIMIT: the smallest driver under the cap; past it, one that streams in triage
    order (it stops early); else the triage walk (it stops early too). Without a LIMIT the
    whole result is read, so costs per row streamed are compared (measured at 1M rows):
    1 from an index holding every column the filters read, 1.5 when its rows need a sort
    too, 6 when each row needs a table lookup (FTS and conflict sets always do).
    """
    if not drivers:
        return None
    if db is None:  # no data to look at: prefer what streams in order, then sets
        ordered = [d for d in drivers if d.ordered]
        return ordered[0] if ordered else (None if limit is not None else drivers[0])
    cap = ESTIMATE_CAP if limit is not None else ESTIMATE_CAP_ALL
    for d in drivers:
        d.estimate = int(db.execute(f"SELECT count(*) FROM ({d.count_sql} LIMIT {cap})",
                                    d.count_args).fetchone()[0])
    if limit is not None:
        best = min(drivers, key=lambda d: (d.estimate, not d.ordered))
        if best.estimate < cap:
            return best
        ordered = [d for d in drivers if d.ordered]
        return ordered[0] if ordered else None
    total = int(db.execute("SELECT coalesce(max(id), 0) FROM escalation").fetchone()[0])

    def per_row(index: str | None, ordered: bool) -> float:
        if index is None or not needs <= COVERS.get(index, frozenset()):
            return 6.0  # a table lookup per row (FTS and conflict sets: always)
        return 1.0 if ordered else 1.5

    def cost(d: _Driver) -> float:
        rows = total if d.estimate >= cap else d.estimate
        return rows * per_row(None if d.name in ("fts", "conflict", "ids") else d.name,
                              d.ordered)

    best = min(drivers, key=cost)
    return best if cost(best) < total * per_row(TRIAGE_INDEX, True) else None


def query_sql(query: SearchQuery, me: str, now: datetime, limit: int | None,
              db: sqlite3.Connection | None = None) -> tuple[str, list[Any]]:
    """SELECT e.id ... ORDER BY triage [LIMIT] for a parsed query."""
    chosen = plan(db, query, me, now, limit)
    return chosen.sql, chosen.args
