"""Surges over history (docs/trends.md, "Surges"): for every (category, market, channel)
the count per bucket (an hour or a day, in the screen's zone) is compared with a rolling
seasonal baseline, and a count far above it becomes a finding with its evidence.

The method, as the report states it:
- baseline: the same bucket of the week (same weekday for days, same hour of the week
  for hours) in each of the previous `baseline_weeks` weeks, so a weekly rhythm (quiet
  weekends, busy Mondays) is expected rather than flagged; expected = their median;
- robust z-score: (observed - expected) / scale, scale = max(1.4826 x MAD of the
  baseline, sqrt(max(expected, 1))): the MAD is the spread the series has shown, and the
  Poisson floor keeps a flat or sparse series from flagging on a count of noise;
- a bucket is a surge when z >= `z_threshold`, observed >= `min_count`, and the Poisson
  tail P(X >= observed | mean = max(expected, 0.5)) <= `max_p`; both figures are shown.
This is the analytical look back; the live "declare an incident?" prompt is elsewhere.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from statistics import median

from .queries import CubeRow
from .zones import Bucket, bucket_interval, label, zone_of_market

METHOD = ("robust z-score of the count against the median of the same {unit} in the "
          "previous {weeks} weeks (scale: 1.4826 x MAD, at least the Poisson sd); "
          "flagged at z >= {z:g}, at least {min_count} escalations and a Poisson tail "
          "p <= {p:g}")

SeriesKey = tuple[str, str, int]  # (category, market, channel id)


@dataclass(frozen=True, slots=True)
class SurgeSettings:
    """The thresholds of surge detection (settings `trends.surge`)."""

    bucket: Bucket = Bucket.DAY
    baseline_weeks: int = 6
    min_baseline_weeks: int = 3  # fewer weeks of history: no judgement
    z_threshold: float = 4.0
    min_count: int = 5
    max_p: float = 0.001
    max_findings: int = 50

    def __post_init__(self) -> None:
        if self.bucket is Bucket.WEEK:
            raise ValueError("surges are looked for per hour or per day, not per week")
        if not 1 <= self.min_baseline_weeks <= self.baseline_weeks:
            raise ValueError("the baseline needs at least one week, and no more than it has")
        if self.z_threshold <= 0 or self.min_count < 1 or not 0 < self.max_p < 1:
            raise ValueError("surge thresholds: z > 0, at least 1 escalation, 0 < p < 1")

    @property
    def season(self) -> int:
        """Buckets per week."""
        return 7 if self.bucket is Bucket.DAY else 7 * 24

    def method(self) -> str:
        unit = "weekday" if self.bucket is Bucket.DAY else "hour of the week"
        return METHOD.format(unit=unit, weeks=self.baseline_weeks, z=self.z_threshold,
                             min_count=self.min_count, p=self.max_p)


@dataclass(frozen=True, slots=True)
class Finding:
    """A surge: which series, which window, what was expected and seen, how unusual,
    and the escalations behind it (filled in by the caller from the cache)."""

    category: str
    market: str
    channel_id: int
    channel: str
    bucket: Bucket
    number: int  # the bucket number (zones.py)
    window: str  # the bucket as the zone's wall clock reads it
    zone: str
    start: int  # Unix seconds, the window's instants
    end: int
    observed: int
    expected: float
    baseline: tuple[int, ...]
    z: float
    p_value: float
    escalation_ids: tuple[int, ...] = field(default=())

    @property
    def ref(self) -> str:
        """A stable reference a recommendation points at."""
        return f"{self.category}/{self.market}/{self.channel}/{self.window}"

    def summary(self) -> str:
        return (f"{self.observed} {self.category.replace('_', ' ')} escalations in "
                f"{self.market} from {self.channel} in {self.window} ({self.zone}), "
                f"expected {self.expected:g}: z = {self.z:.1f}, p = {self.p_value:.1e}")


def poisson_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean)."""
    if k <= 0:
        return 1.0
    mean = max(mean, 1e-9)

    def log_term(i: int) -> float:
        return -mean + i * math.log(mean) - math.lgamma(i + 1)

    if k > mean:  # sum the upper tail: its terms fall from the first one on
        total, i = 0.0, k
        while True:
            t = math.exp(log_term(i))
            total += t
            if t < 1e-17 * max(total, 1e-300) or i > k + 10_000:
                return min(1.0, total)
            i += 1
    return max(0.0, 1.0 - sum(math.exp(log_term(i)) for i in range(k)))


def robust_z(observed: int, baseline: Iterable[int]) -> tuple[float, float]:
    """(expected, z) of a count against its baseline counts."""
    values = list(baseline)
    expected = float(median(values))
    mad = float(median(abs(v - expected) for v in values))
    scale = max(1.4826 * mad, math.sqrt(max(expected, 1.0)))
    return expected, (observed - expected) / scale


def detect(counts: Mapping[SeriesKey, Mapping[int, int]], first: int, last: int,
           settings: SurgeSettings, zone: str, channels: Mapping[int, str] | None = None,
           history_start: int | None = None) -> list[Finding]:
    """Surges among buckets first..last (inclusive) of every series; `counts` holds each
    series' nonzero counts by bucket number, the baseline weeks before `first` included.
    Buckets before `history_start` (default: the earliest bucket with a count) are
    unknown, not zero: a week there does not count towards the baseline. Strongest
    first, at most `settings.max_findings`."""
    channels = channels or {}
    if history_start is None:
        history_start = min((min(s) for s in counts.values() if s), default=first)
    found: list[Finding] = []
    season = settings.season
    for (category, market, channel_id), series in counts.items():
        for number in range(first, last + 1):
            observed = series.get(number, 0)
            if observed < settings.min_count:
                continue
            baseline = [series.get(number - w * season, 0)
                        for w in range(1, settings.baseline_weeks + 1)]
            baseline = [v for w, v in enumerate(baseline, 1)
                        if number - w * season >= history_start]
            if len(baseline) < settings.min_baseline_weeks:
                continue
            expected, z = robust_z(observed, baseline)
            if z < settings.z_threshold:
                continue
            p = poisson_tail(observed, max(expected, 0.5))
            if p > settings.max_p:
                continue
            bucket_zone = zone_of_market(zone, market)
            start, end = bucket_interval(number, settings.bucket, bucket_zone)
            found.append(Finding(
                category, market, channel_id, channels.get(channel_id, f"channel {channel_id}"),
                settings.bucket, number, label(number, settings.bucket), bucket_zone, start,
                end, observed, expected, tuple(baseline), z, p))
    found.sort(key=lambda f: (-f.z, -f.observed, f.ref))
    return found[:settings.max_findings]


def series_counts(cube: Iterable[CubeRow]) -> dict[SeriesKey, dict[int, int]]:
    """The cube (trends/queries.py) as counts per series and bucket."""
    out: dict[SeriesKey, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in cube:
        out[(row.category, row.market, row.channel_id)][row.bucket] += row.count
    return {k: dict(v) for k, v in out.items()}
