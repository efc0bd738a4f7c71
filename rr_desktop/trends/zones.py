"""Time buckets in a time zone, computed by SQLite.

SQLite knows no IANA zones, so the UTC offsets a zone uses over a period are found here
(zoneinfo) and written into the query as a CASE over the instants where they change: the
bucket of a row is `(created_at + offset(created_at)) / size`, a wall-clock bucket of the
zone. Days and weeks are the zone's own (a DST day has 23 or 25 hours); hours are wall
hours (on the night the clocks go back, 01:00 holds two hours, and the hour skipped in
spring is empty). In market-local mode each row takes its market's zone
(domain/markets.py: MARKET_ZONES); a market without one counts in UTC.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from ..domain.markets import MARKET_ZONES

MARKET_LOCAL = "market"  # the zone choice that means "each market's own clock"
_WEEK_SHIFT_DAYS = 3  # 1970-01-01 was a Thursday: +3 days makes weeks start on Monday


class Bucket(StrEnum):
    """How long one point of a series is."""

    HOUR = "hour"
    DAY = "day"
    WEEK = "week"

    @property
    def seconds(self) -> int:
        return {"hour": 3600, "day": 86400, "week": 7 * 86400}[self.value]


@dataclass(frozen=True, slots=True)
class Segment:
    """From `start` (Unix seconds) on, until the next segment, the zone is `offset_s`
    seconds ahead of UTC."""

    start: int
    offset_s: int


def _offset(zone: ZoneInfo, at: int) -> int:
    delta = datetime.fromtimestamp(at, UTC).astimezone(zone).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


@lru_cache(maxsize=256)
def segments(zone_name: str, start: int, end: int) -> tuple[Segment, ...]:
    """The zone's UTC offsets over [start, end): the first segment starts at `start`;
    each change is found to the second (a day's step, then bisection)."""
    zone = ZoneInfo(zone_name)
    found = [Segment(start, _offset(zone, start))]
    step = 86400
    at = start
    while at < end:
        nxt = min(at + step, end)
        if _offset(zone, nxt) != found[-1].offset_s:
            lo, hi = at, nxt  # offset(lo) is the current one, offset(hi) the new one
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset(zone, mid) == found[-1].offset_s:
                    lo = mid
                else:
                    hi = mid
            found.append(Segment(hi, _offset(zone, hi)))
        at = nxt
    return tuple(found)


def offset_sql(column: str, segs: Iterable[Segment]) -> str:
    """A SQL expression: the offset (seconds) of the zone at the instant in `column`."""
    segs = list(segs)
    if len(segs) == 1:
        return str(segs[0].offset_s)
    whens = " ".join(f"WHEN {column} < {s.start} THEN {p.offset_s}"
                     for p, s in itertools.pairwise(segs))
    return f"(CASE {whens} ELSE {segs[-1].offset_s} END)"


def market_offset_sql(column: str, market_column: str, start: int, end: int,
                      markets: Iterable[str] | None = None) -> str:
    """The offset of each row's market's zone at the instant in `column` (0: no zone)."""
    names = sorted(set(markets) if markets is not None else set(MARKET_ZONES))
    whens = [f"WHEN '{m}' THEN {offset_sql(column, segments(MARKET_ZONES[m], start, end))}"
             for m in names if m in MARKET_ZONES and m.isalnum()]
    if not whens:
        return "0"
    return f"(CASE {market_column} {' '.join(whens)} ELSE 0 END)"


def bucket_sql(column: str, offset: str, bucket: Bucket) -> str:
    """The bucket number of the instant in `column`, with `offset` (an expression)."""
    local = f"({column} + {offset})"
    if bucket is Bucket.WEEK:
        return f"(({local} / 86400 + {_WEEK_SHIFT_DAYS}) / 7)"
    return f"({local} / {bucket.seconds})"


def bucket_start(number: int, bucket: Bucket) -> datetime:
    """The wall-clock start of bucket `number` (a naive local time)."""
    if bucket is Bucket.WEEK:
        days = number * 7 - _WEEK_SHIFT_DAYS
        return datetime(1970, 1, 1) + timedelta(days=days)
    return datetime(1970, 1, 1) + timedelta(seconds=number * bucket.seconds)


def bucket_of(at: int, zone_name: str, bucket: Bucket) -> int:
    """The bucket number of one instant in a zone (what bucket_sql computes)."""
    local = at + _offset(ZoneInfo(zone_name), at)
    if bucket is Bucket.WEEK:
        return (local // 86400 + _WEEK_SHIFT_DAYS) // 7
    return local // bucket.seconds


def buckets_between(start: int, end: int, zone_name: str, bucket: Bucket) -> list[int]:
    """Every bucket number that [start, end) touches in the zone, in order (the empty ones
    too, so a series shows its zeros)."""
    if end <= start:
        return []
    return list(range(bucket_of(start, zone_name, bucket),
                      bucket_of(end - 1, zone_name, bucket) + 1))


def label(number: int, bucket: Bucket) -> str:
    start = bucket_start(number, bucket)
    if bucket is Bucket.HOUR:
        return start.strftime("%Y-%m-%d %H:00")
    if bucket is Bucket.WEEK:
        return "week of " + start.strftime("%Y-%m-%d")
    return start.strftime("%Y-%m-%d")


def bucket_interval(number: int, bucket: Bucket, zone_name: str) -> tuple[int, int]:
    """The instants [start, end) (Unix seconds) of wall-clock bucket `number` in a zone."""
    zone = ZoneInfo(zone_name)

    def instant(n: int) -> int:
        return int(bucket_start(n, bucket).replace(tzinfo=zone).timestamp())

    return instant(number), instant(number + 1)


def zone_of_market(zone_choice: str, market: str) -> str:
    """The zone a row of `market` is bucketed in under a zone choice."""
    if zone_choice == MARKET_LOCAL:
        return MARKET_ZONES.get(market, "UTC")
    return zone_choice
