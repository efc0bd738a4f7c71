"""Shift schedules in the analyst's own zone: parsing, on shift, hours left, across zones
and daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rr_desktop.domain.shift import ShiftBlock, ShiftSchedule

JAKARTA = ShiftSchedule.parse("Asia/Jakarta", "Mon-Fri 09:00-18:00")
DUBLIN = ShiftSchedule.parse("Europe/Dublin", "Mon-Fri 09:00-17:00")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_parse_and_text_round_trip() -> None:
    s = ShiftSchedule.parse("Asia/Manila", "Mon-Wed 08:00-16:00; Fri Sat 10:00-14:00")
    assert s.text() == "Mon-Wed 08:00-16:00; Fri-Sat 10:00-14:00"
    assert ShiftSchedule.parse("Asia/Manila", s.text()) == s
    assert ShiftSchedule.parse("UTC", "daily 00:00-24:00").text() == "daily 00:00-24:00"
    assert JAKARTA.blocks[0] == ShiftBlock(0, 9 * 60, 18 * 60)


@pytest.mark.parametrize(("zone", "text", "says"), [
    ("Asia/Jakrta", "Mon 09:00-17:00", "not an IANA time zone"),
    ("", "Mon 09:00-17:00", "needs a time zone"),
    ("UTC", "Mon", "days then hours"),
    ("UTC", "Mon 9-17", "09:00-18:00"),
    ("UTC", "Mun 09:00-17:00", "not a day"),
    ("UTC", "Mon-Fry 09:00-17:00", "range of days"),
    ("UTC", "Mon 25:00-26:00", "not a time range"),
    ("UTC", "Mon 09:00-09:00", "same time"),
    ("UTC", " ; ", "no shift hours"),
])
def test_bad_schedules_are_refused_with_a_sentence(zone: str, text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        ShiftSchedule.parse(zone, text)


def test_jakarta_and_dublin_at_the_same_utc_moments() -> None:
    monday_0800 = utc(2026, 12, 7, 8, 0)  # Jakarta 15:00, Dublin 08:00
    assert JAKARTA.shift_end(monday_0800) == utc(2026, 12, 7, 11, 0)  # 18:00 WIB
    assert not DUBLIN.on_shift(monday_0800)
    assert DUBLIN.next_start(monday_0800) == utc(2026, 12, 7, 9, 0)
    monday_1200 = utc(2026, 12, 7, 12, 0)  # Jakarta 19:00, Dublin 12:00
    assert not JAKARTA.on_shift(monday_1200)
    assert DUBLIN.shift_end(monday_1200) == utc(2026, 12, 7, 17, 0)
    # Sunday 23:00 UTC is already Monday 06:00 in Jakarta: still before the shift.
    assert JAKARTA.next_start(utc(2026, 12, 6, 23, 0)) == utc(2026, 12, 7, 2, 0)


def test_daylight_saving_keeps_local_hours() -> None:
    # Dublin in July is UTC+1: 09:00-17:00 local is 08:00-16:00 UTC.
    assert DUBLIN.on_shift(utc(2026, 7, 6, 8, 30))
    assert DUBLIN.shift_end(utc(2026, 7, 6, 8, 30)) == utc(2026, 7, 6, 16, 0)
    assert not DUBLIN.on_shift(utc(2026, 12, 7, 8, 30))  # UTC+0 in December: 08:30


def test_overnight_shift_and_contiguous_blocks() -> None:
    nights = ShiftSchedule.parse("Asia/Singapore", "Sun-Thu 22:00-06:00")
    # Monday 02:00 SGT (Sunday 18:00 UTC) falls in Sunday's block.
    assert nights.shift_end(utc(2026, 12, 6, 18, 0)) == utc(2026, 12, 6, 22, 0)
    assert not nights.on_shift(utc(2026, 12, 4, 18, 0))  # Saturday 02:00: Friday is off
    always = ShiftSchedule.parse("UTC", "Mon-Tue 00:00-24:00")
    assert always.shift_end(utc(2026, 12, 7, 10, 0)) == utc(2026, 12, 9, 0, 0)
