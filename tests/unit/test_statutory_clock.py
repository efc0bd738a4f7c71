"""Statutory clocks: elapsed-hour deadlines across zones and daylight-saving changes,
shown in the market's and the viewer's time, and their states (docs/playbooks.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rr_desktop.domain.statutory_clock import (
    ClockState,
    StatutoryClock,
    describe_deadline,
    read_clock,
    read_statutory_clock,
)

SYDNEY = ZoneInfo("Australia/Sydney")
KOLKATA = ZoneInfo("Asia/Kolkata")
SINGAPORE = ZoneInfo("Asia/Singapore")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def test_24_hours_across_sydneys_spring_forward_are_24_elapsed_hours() -> None:
    # Clocks in Sydney jump from 02:00 AEST to 03:00 AEDT on Sunday 5 October 2025.
    received = datetime(2025, 10, 4, 10, 0, tzinfo=SYDNEY)
    reading = read_clock(24, received, received, market="AU")
    assert reading.deadline == datetime(2025, 10, 5, 0, 0, tzinfo=UTC)
    local = reading.deadline_market
    assert local is not None
    assert (local.day, local.hour, local.tzname()) == (5, 11, "AEDT")  # not 10:00
    # (Subtracting two times of one zone in Python is wall-clock arithmetic: 25 h here.)
    assert local.astimezone(UTC) - received.astimezone(UTC) == timedelta(hours=24)
    assert local - received == timedelta(hours=25)


def test_24_hours_across_sydneys_fall_back_end_an_hour_earlier_on_the_wall() -> None:
    # Clocks in Sydney go back from 03:00 AEDT to 02:00 AEST on Sunday 5 April 2026.
    received = datetime(2026, 4, 4, 10, 0, tzinfo=SYDNEY)
    reading = read_clock(24, received, received, market="AU")
    local = reading.deadline_market
    assert local is not None
    assert (local.day, local.hour, local.tzname()) == (5, 9, "AEST")
    assert reading.deadline == datetime(2026, 4, 4, 23, 0, tzinfo=UTC)


def test_a_clock_started_in_india_reads_the_same_instant_from_singapore_and_la() -> None:
    started = datetime(2025, 3, 10, 18, 0, tzinfo=KOLKATA)  # 12:30 UTC
    in_sg = read_clock(36, started, started, market="IN", viewer_zone=SINGAPORE)
    in_la = read_clock(36, started, started, market="IN", viewer_zone=LOS_ANGELES)
    assert in_sg.deadline == in_la.deadline == datetime(2025, 3, 12, 0, 30, tzinfo=UTC)
    assert in_sg.deadline_market is not None and in_sg.deadline_viewer is not None
    assert in_sg.deadline_market.strftime("%d %H:%M %Z") == "12 06:00 IST"
    assert in_sg.deadline_viewer.strftime("%d %H:%M") == "12 08:30"
    assert in_la.deadline_viewer is not None
    # Los Angeles moved to PDT on 9 March 2025: 17:30 on the 11th, UTC-7.
    assert in_la.deadline_viewer.strftime("%d %H:%M %Z") == "11 17:30 PDT"
    # Reading it from another zone changes nothing but the display.
    now = datetime(2025, 3, 11, 9, 0, tzinfo=LOS_ANGELES)
    assert read_clock(36, started, now).remaining == \
        read_clock(36, started.astimezone(UTC), now.astimezone(SINGAPORE)).remaining


T0 = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(("elapsed", "state", "remaining"), [
    (timedelta(hours=0), ClockState.RUNNING, timedelta(hours=24)),
    (timedelta(hours=17, minutes=59), ClockState.RUNNING, timedelta(hours=6, minutes=1)),
    (timedelta(hours=18), ClockState.AT_RISK, timedelta(hours=6)),  # 25 % left
    (timedelta(hours=23, minutes=59), ClockState.AT_RISK, timedelta(minutes=1)),
    (timedelta(hours=24), ClockState.BREACHED, timedelta(0)),
    (timedelta(hours=25), ClockState.BREACHED, timedelta(hours=-1)),
])
def test_a_24_hour_clock_runs_turns_at_risk_at_a_quarter_left_then_breaches(
        elapsed: timedelta, state: ClockState, remaining: timedelta) -> None:
    reading = read_clock(24, T0, T0 + elapsed)
    assert (reading.state, reading.remaining) == (state, remaining)
    assert reading.late_by == max(-remaining, timedelta(0))


def test_a_long_clock_is_at_risk_once_less_than_the_minutes_floor_is_left() -> None:
    week = 168  # a quarter is 42 h; the floor of 48 h comes first
    assert read_clock(week, T0, T0 + timedelta(hours=120),
                      at_risk_minutes=48 * 60).state is ClockState.RUNNING
    assert read_clock(week, T0, T0 + timedelta(hours=120, minutes=1),
                      at_risk_minutes=48 * 60).state is ClockState.AT_RISK
    # Short clocks: a 4 h clock with the default 60-minute floor and 25 % (also 1 h).
    assert read_clock(4, T0, T0 + timedelta(hours=2, minutes=59)).state is ClockState.RUNNING
    assert read_clock(4, T0, T0 + timedelta(hours=3)).state is ClockState.AT_RISK


def test_a_stopped_clock_is_met_on_time_and_breached_when_late() -> None:
    later = T0 + timedelta(days=3)
    met = read_clock(24, T0, later, stopped_at=T0 + timedelta(hours=23))
    assert (met.state, met.remaining) == (ClockState.MET, timedelta(hours=1))
    assert read_clock(24, T0, later, stopped_at=T0 + timedelta(hours=24)).state \
        is ClockState.MET
    late = read_clock(24, T0, later, stopped_at=T0 + timedelta(hours=26))
    assert (late.state, late.late_by) == (ClockState.BREACHED, timedelta(hours=2))
    assert late.stopped_at == T0 + timedelta(hours=26)


def test_a_clock_started_by_a_step_waits_for_the_tick() -> None:
    clock = StatutoryClock("au-esafety", "eSafety removal notice", 24, "AU",
                           "step:au-notice", True)
    declared = datetime(2025, 10, 4, 8, 0, tzinfo=SYDNEY)
    now = declared.astimezone(UTC) + timedelta(hours=22)
    waiting = read_statutory_clock(clock, declared, {}, now)
    assert waiting.state is ClockState.NOT_STARTED and waiting.deadline is None
    ticked = declared + timedelta(hours=2)  # the notice arrived at 10:00 AEST
    reading = read_statutory_clock(clock, declared, {"au-notice": ticked}, now,
                                   viewer_zone=SINGAPORE)
    assert reading.started_at == ticked
    assert reading.state is ClockState.AT_RISK  # 4 h of 24 left
    assert describe_deadline(reading, "AU") == "Sun 5 Oct 11:00 AEDT (AU) · Sun 5 Oct " \
        "08:00 +08 (you)"
    declared_clock = StatutoryClock("x", "x", 1, "", "declared", False)
    assert read_statutory_clock(declared_clock, declared, {}, declared).started_at == \
        declared


def test_a_market_without_a_zone_shows_the_viewers_time_only() -> None:
    reading = read_clock(24, T0, T0, market="MY", viewer_zone=SINGAPORE)
    assert reading.deadline_market is not None  # MY has Kuala Lumpur's zone
    assert read_clock(24, T0, T0, market="NR").deadline_market is None


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        read_clock(24, datetime(2025, 1, 1), T0)


def test_event_data_writes_whole_hours_as_integers() -> None:
    assert StatutoryClock("a", "A", 24.0, "IN", "declared", True).to_event_data()["hours"] \
        == 24
    assert StatutoryClock("a", "A", 1.5, "IN", "declared", True).to_event_data()["hours"] \
        == 1.5
