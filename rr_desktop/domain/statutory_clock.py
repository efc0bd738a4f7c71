"""Statutory clocks: a legal deadline (a 24 h removal notice, a 4 h urgent request) read
as an SLA clock (docs/playbooks.md, "Clocks").

- A clock counts *elapsed* hours from its start: 24 h across a daylight-saving change in
  Sydney is 24 real hours, so the wall-clock deadline moves by the hour the clocks jumped.
  All arithmetic is in UTC; zones only change how the deadline is shown.
- It starts at the incident's declaration (`declared`) or when a step is ticked
  (`step:<id>`, e.g. "notice received": the law counts from the notice, not from triage).
  A clock whose step is not ticked yet has not started.
- *At risk* once at most `at_risk_fraction` of the window is left, or less than
  `at_risk_minutes` (whichever comes first); *breached* at the deadline. Stopped before
  the deadline (or at it) it is *met*; stopped after, it stays *breached* with `stopped_at` set.
- The deadline is shown in the market's zone (`markets.market_zone`) and the viewer's.
Statutory content is marked `legal_confirm`: "confirm with Legal" before relying on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .markets import market_zone

AT_RISK_FRACTION = 0.25
AT_RISK_MINUTES = 60
STARTS_DECLARED = "declared"
STARTS_STEP_PREFIX = "step:"


class ClockState(StrEnum):
    """Where a statutory clock stands at a given moment."""

    NOT_STARTED = "not_started"
    RUNNING = "running"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"


@dataclass(frozen=True, slots=True)
class StatutoryClock:
    """A resolved clock as a playbook run carries it (docs/incidents.md, playbook_start):
    `market` is "" for a clock of the base playbook."""

    id: str
    title: str
    hours: float
    market: str
    starts: str
    legal_confirm: bool

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.hours)

    @property
    def start_step(self) -> str | None:
        """The step whose ticking starts the clock; None when it starts at declaration."""
        if self.starts.startswith(STARTS_STEP_PREFIX):
            return self.starts[len(STARTS_STEP_PREFIX):]
        return None

    def started_at(self, declared_at: datetime,
                   steps_done_at: Mapping[str, datetime]) -> datetime | None:
        """When the clock started: the declaration, or when its step was ticked (None
        while it is not)."""
        step = self.start_step
        return declared_at if step is None else steps_done_at.get(step)

    def to_event_data(self) -> dict[str, object]:
        hours: float | int = int(self.hours) if float(self.hours).is_integer() else self.hours
        return {"id": self.id, "title": self.title, "hours": hours, "market": self.market,
                "starts": self.starts, "legal_confirm": self.legal_confirm}


@dataclass(frozen=True, slots=True)
class ClockReading:
    """A clock at one moment. Times are aware; `deadline` is UTC, `deadline_market` in
    the market's zone (None when the market has none), `deadline_viewer` in the viewer's.
    `remaining` is negative once the deadline has passed (zero when not started)."""

    state: ClockState
    started_at: datetime | None
    deadline: datetime | None
    remaining: timedelta
    fraction_left: float
    stopped_at: datetime | None
    deadline_market: datetime | None
    deadline_viewer: datetime | None

    @property
    def late_by(self) -> timedelta:
        """How far past the deadline it was stopped, or is now (zero if not)."""
        return max(-self.remaining, timedelta(0))


def _aware(name: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (got {value.isoformat()})")
    return value.astimezone(UTC)


def zone_of(name: str | None) -> tzinfo | None:
    """The IANA zone named, or None for an empty or unknown name."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def read_clock(hours: float, started_at: datetime | None, now: datetime, *,
               stopped_at: datetime | None = None, market: str = "",
               viewer_zone: tzinfo | None = None,
               at_risk_fraction: float = AT_RISK_FRACTION,
               at_risk_minutes: int = AT_RISK_MINUTES) -> ClockReading:
    """The clock of `hours` elapsed hours started at `started_at`, read at `now` (or as it
    stood when `stopped_at`, if the duty was met then). Aware datetimes only."""
    now = _aware("now", now)
    window = timedelta(hours=hours)
    if started_at is None:
        return ClockReading(ClockState.NOT_STARTED, None, None, timedelta(0), 1.0,
                            None, None, None)
    start = _aware("started_at", started_at)
    deadline = start + window
    stop = None if stopped_at is None else _aware("stopped_at", stopped_at)
    at = stop if stop is not None else now
    remaining = deadline - at
    fraction = max(0.0, remaining / window) if window else 0.0
    if stop is not None:
        state = ClockState.MET if remaining >= timedelta(0) else ClockState.BREACHED
    elif remaining <= timedelta(0):
        state = ClockState.BREACHED
    elif (remaining <= window * at_risk_fraction
          or remaining < timedelta(minutes=at_risk_minutes)):
        state = ClockState.AT_RISK
    else:
        state = ClockState.RUNNING
    zone = zone_of(market_zone(market)) if market else None
    return ClockReading(
        state=state, started_at=start, deadline=deadline, remaining=remaining,
        fraction_left=min(fraction, 1.0), stopped_at=stop,
        deadline_market=None if zone is None else deadline.astimezone(zone),
        deadline_viewer=deadline.astimezone(viewer_zone) if viewer_zone else None)


def read_statutory_clock(clock: StatutoryClock, declared_at: datetime,
                         steps_done_at: Mapping[str, datetime], now: datetime, *,
                         stopped_at: datetime | None = None,
                         viewer_zone: tzinfo | None = None) -> ClockReading:
    """`read_clock` for a run's clock: started by the declaration or its step."""
    return read_clock(clock.hours, clock.started_at(declared_at, steps_done_at), now,
                      stopped_at=stopped_at, market=clock.market, viewer_zone=viewer_zone)


def describe_deadline(reading: ClockReading, market: str) -> str:
    """"Sun 5 Oct 11:00 AEDT (AU) · Sun 5 Oct 08:00 +08 (you)" for a clock's deadline
    (zone abbreviations as tzdata has them: Singapore's is "+08")."""
    if reading.deadline is None:
        return "not started"
    parts = []
    if reading.deadline_market is not None:
        parts.append(f"{_stamp(reading.deadline_market)} ({market})")
    if reading.deadline_viewer is not None:
        parts.append(f"{_stamp(reading.deadline_viewer)} (you)")
    if not parts:
        parts.append(f"{_stamp(reading.deadline)}")
    return " · ".join(parts)


def _stamp(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b %H:%M} {moment.tzname() or 'UTC'}"
