"""When escalations arrive: through the day, by each market's local time.

Reports follow people: few at 03:00 local time, a morning ramp, a long day and an evening
peak when most people are on their phones. APAC spans UTC+5:30 (India) to UTC+13 (New
Zealand in summer; the demo keeps standard time), so the region's queue is busiest from
about 01:00 to 15:00 UTC and quiet while it is night from Auckland to Karachi. Each market
contributes its share (``Market.weight``) shaped by its own clock, so at 23:00 UTC most new
reports come from New Zealand and Australia, at 15:00 UTC from India and Pakistan.
"""

from __future__ import annotations

from bisect import bisect
from collections.abc import Callable, Sequence
from itertools import pairwise

from .vocab import Market

SLOT_S = 900  # every offset in the region is a whole number of quarter hours
SLOTS_PER_DAY = 86400 // SLOT_S
# How busy each local hour is (relative figures: only their ratios matter).
_LOCAL_HOUR = (0.45, 0.30, 0.20, 0.15, 0.12, 0.15, 0.25, 0.45, 0.70, 0.90, 1.00, 1.05,
               1.05, 1.00, 1.00, 1.00, 1.00, 1.00, 1.05, 1.10, 1.15, 1.10, 0.90, 0.65)


def local_activity(local_minute: int) -> float:
    """How busy a market is at ``local_minute`` (0..1439): the hourly figures, joined
    linearly so that the rate has no steps."""
    hour, minute = divmod(local_minute % 1440, 60)
    nxt = _LOCAL_HOUR[(hour + 1) % 24]
    return _LOCAL_HOUR[hour] + (nxt - _LOCAL_HOUR[hour]) * minute / 60


class ArrivalModel:
    """Arrival intensity per quarter hour of the UTC day and, for each quarter hour, which
    market a report comes from (indexes into ``markets``)."""

    __slots__ = ("_market_cum", "intensity", "mean")

    def __init__(self, markets: Sequence[Market]) -> None:
        intensity: list[float] = []
        market_cum: list[tuple[float, ...]] = []
        for slot in range(SLOTS_PER_DAY):
            # The middle of the quarter hour, in each market's local time.
            utc_minute = slot * SLOT_S // 60 + SLOT_S // 120
            total, cum = 0.0, []
            for market in markets:
                total += market.weight * local_activity(utc_minute + market.utc_offset_min)
                cum.append(total)
            intensity.append(total)
            market_cum.append(tuple(cum))
        self.intensity = tuple(intensity)
        self._market_cum = tuple(market_cum)
        self.mean = sum(intensity) / len(intensity)

    def busyness(self, epoch_s: int) -> float:
        """The arrival rate at ``epoch_s`` relative to the day's average (about 0.3 to 1.5)."""
        return self.intensity[epoch_s // SLOT_S % SLOTS_PER_DAY] / self.mean

    def market(self, epoch_s: int, u: float) -> int:
        """The index of the market a report arriving at ``epoch_s`` comes from, for a
        uniform ``u`` in [0, 1)."""
        cum = self._market_cum[epoch_s // SLOT_S % SLOTS_PER_DAY]
        return bisect(cum, u * cum[-1])

    def times(self, count: int, start_s: int, end_s: int, rnd: Callable[[], float]
              ) -> list[int]:
        """``count`` arrival times in ``[start_s, end_s]``, rising, spread like the
        intensity: the i-th falls in the i-th of ``count`` equal shares of the expected
        arrivals (one random number each), so the queue has no gaps or clumps by chance."""
        if count <= 0:
            return []
        if end_s <= start_s:
            return [end_s] * count
        bounds = [start_s, *range((start_s // SLOT_S + 1) * SLOT_S, end_s, SLOT_S), end_s]
        rates: list[float] = []
        cum = [0.0]
        intensity = self.intensity
        total = 0.0
        for a, b in pairwise(bounds):
            rate = intensity[a // SLOT_S % SLOTS_PER_DAY]
            rates.append(rate)
            total += rate * (b - a)
            cum.append(total)
        share = total / count
        last = len(rates) - 1
        out: list[int] = []
        for i in range(count):
            u = (i + rnd()) * share
            j = bisect(cum, u) - 1
            if j > last:
                j = last
            t = bounds[j] + int((u - cum[j]) / rates[j])
            out.append(t if t < end_s else end_s)
        return out
