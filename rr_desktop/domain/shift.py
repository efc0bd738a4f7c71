"""An analyst's shift: weekly hours in their own IANA time zone (docs/lead-board.md).

Written as the lead types it: `Mon-Fri 09:00-18:00; Sat 10:00-14:00`. Entries are
separated by `;`; each is days (a day, a range `Mon-Fri`, several separated by spaces,
or `daily`) then a time range. A range whose end is not after its start runs past
midnight (`Sun-Thu 22:00-06:00` ends on the next day's morning); `24:00` ends at
midnight. Times are wall-clock times of the zone, so a shift keeps its local hours across
daylight-saving changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_INDEX = {d.lower(): i for i, d in enumerate(WEEKDAYS)}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_DAY_MINUTES = 24 * 60


@dataclass(frozen=True, slots=True, order=True)
class ShiftBlock:
    """Hours on one weekday (0 = Monday), minutes after local midnight; `end <= start`
    means the block ends on the next day."""

    weekday: int
    start: int
    end: int

    def interval(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The block on `day` (which must be its weekday) as aware UTC datetimes."""
        begin = datetime(day.year, day.month, day.day, tzinfo=zone) + \
            timedelta(minutes=self.start)
        end_day = day if self.end > self.start else day + timedelta(days=1)
        finish = datetime(end_day.year, end_day.month, end_day.day, tzinfo=zone) + \
            timedelta(minutes=self.end)
        # Aware + timedelta is wall-clock arithmetic: 09:00 stays 09:00 across DST.
        return begin.astimezone(UTC), finish.astimezone(UTC)


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone `name`, or ValueError with a sentence."""
    text = name.strip()
    if not text:
        raise ValueError("the shift needs a time zone, e.g. Asia/Jakarta")
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{text!r} is not an IANA time zone (e.g. Asia/Jakarta, "
                         "Europe/Dublin)") from None


@dataclass(frozen=True, slots=True)
class ShiftSchedule:
    """Weekly hours in `zone`."""

    zone: str
    blocks: tuple[ShiftBlock, ...]

    @classmethod
    def parse(cls, zone: str, text: str) -> ShiftSchedule:
        """From the lead's text; ValueError with a sentence naming what is wrong."""
        zone_named(zone)
        blocks: list[ShiftBlock] = []
        for entry in (e.strip() for e in text.split(";")):
            if not entry:
                continue
            words = entry.split()
            if len(words) < 2:
                raise ValueError(f"{entry!r}: write days then hours, e.g. Mon-Fri 09:00-18:00")
            start, end = _hours(words[-1], entry)
            days = sorted({d for w in words[:-1] for d in _days(w, entry)})
            blocks.extend(ShiftBlock(d, start, end) for d in days)
        if not blocks:
            raise ValueError("no shift hours given, e.g. Mon-Fri 09:00-18:00")
        return cls(zone.strip(), tuple(sorted(set(blocks))))

    def text(self) -> str:
        """Back to the lead's form, days with the same hours grouped: `Mon-Fri 09:00-18:00`."""
        by_hours: dict[tuple[int, int], list[int]] = {}
        for b in self.blocks:
            by_hours.setdefault((b.start, b.end), []).append(b.weekday)
        entries = []
        for (start, end), days in sorted(by_hours.items(), key=lambda kv: (kv[1][0], kv[0])):
            entries.append(f"{_day_ranges(days)} {_clock(start)}-{_clock(end)}")
        return "; ".join(entries)

    def shift_end(self, now: datetime) -> datetime | None:
        """When the shift `now` falls in ends (UTC; blocks that follow on without a gap
        count as one shift), or None when `now` is off shift."""
        zone = ZoneInfo(self.zone)
        end = self._end_of_block_at(now, zone)
        if end is None:
            return None
        for _ in range(len(self.blocks)):  # a shift continuing into the next day's block
            later = self._end_of_block_at(end, zone)
            if later is None or later <= end:
                break
            end = later
        return end

    def on_shift(self, now: datetime) -> bool:
        return self.shift_end(now) is not None

    def next_start(self, now: datetime) -> datetime | None:
        """When the next shift starts after `now` (UTC), within the coming week."""
        zone = ZoneInfo(self.zone)
        today = now.astimezone(zone).date()
        starts = [b.interval(day, zone)[0]
                  for offset in range(8)
                  for day in (today + timedelta(days=offset),)
                  for b in self.blocks if b.weekday == day.weekday()]
        later = [s for s in starts if s > now]
        return min(later) if later else None

    def _end_of_block_at(self, now: datetime, zone: ZoneInfo) -> datetime | None:
        today = now.astimezone(zone).date()
        ends = []
        for day in (today - timedelta(days=1), today):
            for b in self.blocks:
                if b.weekday == day.weekday():
                    begin, finish = b.interval(day, zone)
                    if begin <= now < finish:
                        ends.append(finish)
        return max(ends) if ends else None


def _hours(word: str, entry: str) -> tuple[int, int]:
    m = _TIME.match(word)
    if m is None:
        raise ValueError(f"{entry!r}: hours should read like 09:00-18:00")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
        raise ValueError(f"{entry!r}: {word} is not a time range of a day")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end == _DAY_MINUTES and start == 0:
        return 0, _DAY_MINUTES
    if end == _DAY_MINUTES:
        end = 0  # midnight at the end: runs to the next day's 00:00
    if start == end:
        raise ValueError(f"{entry!r}: the shift starts and ends at the same time")
    return start, end


def _days(word: str, entry: str) -> list[int]:
    w = word.lower().rstrip(",")
    if w in ("daily", "everyday"):
        return list(range(7))
    if w in ("weekdays",):
        return list(range(5))
    if "-" in w:
        first, _, last = w.partition("-")
        a, b = _DAY_INDEX.get(first[:3]), _DAY_INDEX.get(last[:3])
        if a is None or b is None:
            raise ValueError(f"{entry!r}: {word!r} is not a range of days like Mon-Fri")
        return [(a + i) % 7 for i in range((b - a) % 7 + 1)]
    day = _DAY_INDEX.get(w[:3]) if len(w) >= 3 else None
    if day is None:
        raise ValueError(f"{entry!r}: {word!r} is not a day (Mon, Tue, ... Sun)")
    return [day]


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}" if minutes != _DAY_MINUTES else "24:00"


def _day_ranges(days: list[int]) -> str:
    days = sorted(days)
    if days == list(range(7)):
        return "daily"
    runs: list[list[int]] = []
    for d in days:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return " ".join(WEEKDAYS[r[0]] if len(r) == 1 else f"{WEEKDAYS[r[0]]}-{WEEKDAYS[r[-1]]}"
                    for r in runs)
