"""Pure functions over the SQL aggregates of trends/queries.py: volume series stacked by
a dimension, duration distributions (nearest-rank percentiles over a per-minute
histogram), SLA breach rates, top sources and reporter types, incident counts and
durations, and the change from the previous period. The same aggregates, the same
figures; nothing here reads the cache.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ..domain.sla import SlaKind
from .queries import CURRENT, MILESTONE, RESOLUTION_S, CubeRow, IncidentTimes

Cube = Sequence[CubeRow]
PERCENTILES = (50, 90, 95)


class Stack(StrEnum):
    """What a volume series is stacked by."""

    CATEGORY = "category"
    MARKET = "market"
    CHANNEL = "channel"


@dataclass(frozen=True, slots=True)
class Series:
    """Counts per bucket, one row per stack member (largest total first)."""

    buckets: tuple[int, ...]
    stacks: tuple[tuple[str, tuple[int, ...]], ...]

    def totals(self) -> tuple[int, ...]:
        return tuple(sum(col) for col in zip(*(v for _, v in self.stacks), strict=True)) \
            if self.stacks else tuple(0 for _ in self.buckets)


def _member(row: CubeRow, stack: Stack, channels: Mapping[int, str]) -> str:
    if stack is Stack.CATEGORY:
        return row.category
    if stack is Stack.MARKET:
        return row.market
    return channels.get(row.channel_id, f"channel {row.channel_id}")


def volume_series(cube: Cube, buckets: Sequence[int], stack: Stack,
                  channels: Mapping[int, str] | None = None, top: int = 8) -> Series:
    """The period's rows of the cube as a series over `buckets` (empty buckets are
    zeros), stacked by `stack`; beyond the `top` largest members the rest are summed as
    "other"."""
    channels = channels or {}
    index = {b: i for i, b in enumerate(buckets)}
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(buckets))
    for row in cube:
        i = index.get(row.bucket)
        if i is not None and row.side == CURRENT:
            counts[_member(row, stack, channels)][i] += row.count
    ranked = sorted(counts.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    kept = [(name, tuple(v)) for name, v in ranked[:top]]
    rest = ranked[top:]
    if rest:
        kept.append(("other", tuple(sum(col) for col in zip(*(v for _, v in rest),
                                                             strict=True))))
    return Series(tuple(buckets), tuple(kept))


def totals_by(cube: Cube, stack: Stack | None, channels: Mapping[int, str] | None = None,
              side: int = CURRENT) -> dict[str, int]:
    """Count per member of a dimension (None: one total, key "") over the rows of one
    side of the period (queries.CURRENT or PREVIOUS)."""
    out: dict[str, int] = defaultdict(int)
    for row in cube:
        if row.side == side:
            out["" if stack is None else _member(row, stack, channels or {})] += row.count
    return dict(out)


def top(counts: Mapping[str, int], n: int = 5) -> list[tuple[str, int]]:
    """The `n` largest, ties by name."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


@dataclass(frozen=True, slots=True)
class Distribution:
    """Durations in seconds: how many, the exact mean, nearest-rank percentiles (to the
    minute: a duration of 59 s counts as 0 min) and the largest, per-minute."""

    count: int
    mean_s: float | None
    percentiles: tuple[tuple[int, int], ...]  # (percent, seconds)
    max_s: int | None

    def p(self, percent: int) -> int | None:
        return dict(self.percentiles).get(percent)


def distribution(histogram: Iterable[tuple[int, int, int]],
                 percents: Sequence[int] = PERCENTILES) -> Distribution:
    """From (minute, count, sum of seconds) groups: the percentile `p` is the smallest
    minute m with at least ceil(p/100 * n) durations at or below it (nearest rank)."""
    groups = sorted((m, n, s) for m, n, s in histogram if n > 0)
    total = sum(n for _, n, _ in groups)
    if total == 0:
        return Distribution(0, None, (), None)
    out = []
    for p in percents:
        rank = max(1, math.ceil(p / 100 * total))
        seen = 0
        for minute, n, _ in groups:
            seen += n
            if seen >= rank:
                out.append((p, minute * RESOLUTION_S))
                break
    return Distribution(total, sum(s for _, _, s in groups) / total, tuple(out),
                        groups[-1][0] * RESOLUTION_S)


@dataclass(frozen=True, slots=True)
class BreachRate:
    """One clock over the period: met in time, met late, overdue (unmet, past due) and
    pending (paused, or running within target); the rate is breaches of those decided."""

    kind: SlaKind
    on_time: int
    late: int
    overdue: int
    pending: int

    @property
    def breached(self) -> int:
        return self.late + self.overdue

    @property
    def decided(self) -> int:
        return self.on_time + self.late + self.overdue

    @property
    def rate(self) -> float | None:
        return self.breached / self.decided if self.decided else None


def breach_rates(cube: Cube, stack: Stack | None = None,
                 channels: Mapping[int, str] | None = None, side: int = CURRENT,
                 ) -> dict[tuple[str, SlaKind], BreachRate]:
    """Per clock (key member "" for all), and per (member of `stack`, clock) too, over
    the rows of one side of the period (queries.CURRENT or PREVIOUS)."""
    sums: dict[tuple[str, SlaKind], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row in cube:
        if row.side != side:
            continue
        members = [""] + ([_member(row, stack, channels or {})] if stack else [])
        for i, kind in enumerate(MILESTONE):
            for member in members:
                acc = sums[(member, kind)]
                for j in range(4):
                    acc[j] += row.sla[4 * i + j]
    return {k: BreachRate(k[1], *v) for k, v in sums.items()}


@dataclass(frozen=True, slots=True)
class IncidentStats:
    """Incidents declared in the period: how many (and how many still open), and the
    time from declaration to containment and to resolution."""

    declared: int
    still_open: int
    to_contain: Distribution
    to_resolve: Distribution


def _seconds_histogram(values: Iterable[int]) -> list[tuple[int, int, int]]:
    groups: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for v in values:
        g = groups[max(0, v) // RESOLUTION_S]
        g[0] += 1
        g[1] += max(0, v)
    return [(m, n, s) for m, (n, s) in groups.items()]


def incident_stats(incidents: Iterable[IncidentTimes], markets: Sequence[str] = (),
                   ) -> IncidentStats:
    """Over the incidents (those touching one of `markets` when given; an incident that
    names no market counts everywhere)."""
    kept = [i for i in incidents
            if not markets or not i.markets or set(i.markets) & set(markets)]
    return IncidentStats(
        len(kept), sum(1 for i in kept if i.resolved_at is None),
        distribution(_seconds_histogram(i.contained_at - i.declared_at for i in kept
                                        if i.contained_at is not None)),
        distribution(_seconds_histogram(i.resolved_at - i.declared_at for i in kept
                                        if i.resolved_at is not None)))


@dataclass(frozen=True, slots=True)
class Change:
    """A figure now and in the previous period of equal length."""

    current: float
    previous: float

    @property
    def delta(self) -> float:
        return self.current - self.previous

    @property
    def percent(self) -> float | None:
        """Relative change in percent; None when the previous figure was 0."""
        return None if self.previous == 0 else 100.0 * self.delta / self.previous

    def text(self, unit: str = "") -> str:
        sign = "+" if self.delta >= 0 else "-"
        pct = "" if self.percent is None else f" ({sign}{abs(self.percent):.0f}%)"
        return f"{sign}{_num(abs(self.delta))}{unit}{pct}"


def _num(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}"


def changes(current: Mapping[str, float], previous: Mapping[str, float]) -> dict[str, Change]:
    """Per key of either period (missing: 0)."""
    return {k: Change(float(current.get(k, 0)), float(previous.get(k, 0)))
            for k in sorted(set(current) | set(previous))}


def human_duration(seconds: float | None) -> str:
    """"45 min", "3.5 h", "2.1 d"; "-" for none."""
    if seconds is None:
        return "-"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
