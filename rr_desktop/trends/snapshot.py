"""Everything the trends screen shows for one filter, read in one go on a worker: the
aggregates of the period and of the one before it, folded by trends/metrics.py, and the
surges found by trends/findings.py with their escalations."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from ..domain.markets import MARKET_ZONES
from ..domain.sla import SlaKind
from . import queries as q
from .findings import Finding, SurgeSettings, detect, series_counts
from .metrics import (
    BreachRate,
    Change,
    Cube,
    Distribution,
    IncidentStats,
    Stack,
    breach_rates,
    changes,
    distribution,
    incident_stats,
    totals_by,
)
from .zones import MARKET_LOCAL, bucket_of

Progress = Callable[[str], None]
FINDING_IDS = 200  # escalations listed per finding


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The figures of one filter. `cube` holds the rows read (the period, the one before
    it and the surge baseline); `changes` compare with the previous period of equal
    length."""

    filter: q.TrendFilter
    now: int
    channels: dict[int, str]
    buckets: tuple[int, ...]
    cube: tuple[q.CubeRow, ...]
    total: Change
    by_category: dict[str, Change]
    by_market: dict[str, Change]
    by_channel: dict[str, Change]
    reporter_types: dict[str, Change]
    clocks: dict[SlaKind, Distribution]
    clocks_before: dict[SlaKind, Distribution]
    breaches: dict[tuple[str, SlaKind], BreachRate]  # ("", clock) and (category, clock)
    breaches_before: dict[tuple[str, SlaKind], BreachRate]
    incidents: IncidentStats
    incidents_before: IncidentStats
    findings: tuple[Finding, ...]
    surge: SurgeSettings
    seconds: float  # how long reading took


def _buckets(f: q.TrendFilter) -> tuple[int, ...]:
    zones = ([MARKET_ZONES.get(m, "UTC") for m in f.markets] or ["Pacific/Kiritimati",
                                                                 "Etc/GMT+12"]
             if f.zone == MARKET_LOCAL else [f.zone])
    first = min(bucket_of(f.start, z, f.bucket) for z in zones)
    last = max(bucket_of(f.end - 1, z, f.bucket) for z in zones)
    return tuple(range(first, last + 1)) if f.end > f.start else ()


def _changes(cube: Cube, stack: Stack | None, channels: dict[int, str]) -> dict[str, Change]:
    return changes({k: float(v) for k, v in totals_by(cube, stack, channels).items()},
                   {k: float(v) for k, v in totals_by(cube, stack, channels,
                                                      q.PREVIOUS).items()})


def read_snapshot(db: sqlite3.Connection, f: q.TrendFilter, now: int,
                  surge: SurgeSettings | None = None,
                  progress: Progress | None = None) -> Snapshot:
    """Read and fold every figure of the screen for `f` (seconds at 1M rows: run it on
    a worker). `progress` hears what is being read."""
    say = progress or (lambda _text: None)
    started = time.perf_counter()
    surge = surge or SurgeSettings()
    prev = f.previous()
    history = surge.baseline_weeks * 7 * 86400
    channels = q.channel_names(db)
    say("volumes and SLA clocks")
    same = surge.bucket is f.bucket
    cube = (q.cube(db, f, f.bucket, min(prev.start, f.start - history), now) if same
            else q.cube(db, f, f.bucket, prev.start, now, detail_from=f.start))
    say("time to acknowledge, contain and resolve")
    clocks: dict[SlaKind, Distribution] = {}
    clocks_before: dict[SlaKind, Distribution] = {}
    for kind in SlaKind:
        groups = q.duration_histogram(db, f, kind, prev.start)
        clocks[kind] = distribution((m, n, t) for cur, m, n, t in groups if cur)
        clocks_before[kind] = distribution((m, n, t) for cur, m, n, t in groups if not cur)
    say("reporters and incidents")
    types = q.reporter_types(db, f, prev.start)
    incidents = incident_stats(q.incident_times(db, f.start, f.end), f.markets)
    incidents_before = incident_stats(q.incident_times(db, prev.start, prev.end), f.markets)
    say("surges")
    surge_cube = cube if same else q.cube(db, f, surge.bucket, f.start - history, now)
    findings = find_surges(db, f, surge, surge_cube, channels)
    total = _changes(cube, None, channels).get("", Change(0.0, 0.0))
    return Snapshot(
        f, now, channels, _buckets(f), tuple(cube), total,
        _changes(cube, Stack.CATEGORY, channels), _changes(cube, Stack.MARKET, channels),
        _changes(cube, Stack.CHANNEL, channels),
        changes({t: float(n) for cur, t, n in types if cur},
                {t: float(n) for cur, t, n in types if not cur}),
        clocks, clocks_before, breach_rates(cube, Stack.CATEGORY, channels),
        breach_rates(cube, Stack.CATEGORY, channels, q.PREVIOUS), incidents,
        incidents_before, tuple(findings), surge, time.perf_counter() - started)


def find_surges(db: sqlite3.Connection, f: q.TrendFilter, surge: SurgeSettings,
                cube: Cube, channels: dict[int, str]) -> list[Finding]:
    """Surges in the period of `f` among the `cube` rows (per `surge.bucket`, the
    baseline weeks before the period included); each with the escalations of its
    window."""
    history = surge.baseline_weeks * 7 * 86400
    if not cube:
        return []
    zone = "UTC" if f.zone == MARKET_LOCAL else f.zone
    # in market-local mode each series is in its own zone; the bucket numbers of the
    # period are near enough the same (a day either side) to bound the search
    first = bucket_of(f.start, zone, surge.bucket) - (1 if f.zone == MARKET_LOCAL else 0)
    last = bucket_of(f.end - 1, zone, surge.bucket) + (1 if f.zone == MARKET_LOCAL else 0)
    # the first whole bucket of what was read: a partial one would look like a quiet
    # week; where the cache's history starts later, its first bucket is partial too
    read_from = bucket_of(f.start - history - 1, zone, surge.bucket) + 1
    data_from = min(r.bucket for r in cube)
    history_start = data_from + 1 if data_from > read_from else read_from
    if f.zone == MARKET_LOCAL:
        history_start += 1  # a market ahead of UTC starts its day before the UTC one
    found = detect(series_counts(cube), first, last, surge, f.zone, channels, history_start)
    return [replace(x, escalation_ids=tuple(q.escalation_ids(
        db, x.start, x.end, x.category, x.market, x.channel_id, FINDING_IDS)))
        for x in found]
