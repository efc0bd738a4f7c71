"""Showing untrusted text: invisible and bidi characters become visible markers."""

from __future__ import annotations

from rr_desktop.gui.text import (
    break_long_lines,
    cap_for_display,
    one_line,
    plain_tooltip,
    reveal_invisibles,
)


def test_bidi_and_invisibles_are_revealed() -> None:
    hidden = "a\u202eb\u2066c\u200bd\u061ce\ufefff\u0007g\u009bh\u2028i"
    assert reveal_invisibles(hidden) == (
        "a[U+202E]b[U+2066]c[U+200B]d[U+061C]e[U+FEFF]f[U+0007]g[U+009B]h[U+2028]i")


def test_every_listed_range_is_covered() -> None:
    ranges = [(0x202A, 0x202E), (0x2066, 0x2069), (0x200B, 0x200F), (0x061C, 0x061C),
              (0xFEFF, 0xFEFF), (0x00, 0x08), (0x0B, 0x1F), (0x7F, 0x9F)]
    for lo, hi in ranges:
        for cp in range(lo, hi + 1):
            if cp == 0x0D:
                continue  # CR is folded into LF
            assert reveal_invisibles(chr(cp)) == f"[U+{cp:04X}]", hex(cp)


def test_newlines_tabs_and_text_survive() -> None:
    assert reveal_invisibles("line 1\r\nline\t2\rline 3 — ok ✓ 日本語 عربى") == \
        "line 1\nline\t2\nline 3 — ok ✓ 日本語 عربى"
    assert one_line("a\nb\tc") == "a \u23ce b c"


def test_long_bodies_are_capped_with_a_note() -> None:
    text, note = cap_for_display("x" * 1_500_000)
    assert len(text) == 300_000
    assert note is not None and "1,500,000" in note
    assert cap_for_display("short") == ("short", None)


def test_long_lines_are_broken_for_display_only() -> None:
    shown = break_long_lines("a" * 2500 + "\nshort")
    assert shown.split("\n") == ["a" * 1000, "a" * 1000, "a" * 500, "short"]
    assert break_long_lines("tiny") == "tiny"


def test_tooltips_escape_markup() -> None:
    tip = plain_tooltip("<b>x</b><img src=http://127.0.0.1:1/x>")
    assert tip == "<qt>&lt;b&gt;x&lt;/b&gt;&lt;img src=http://127.0.0.1:1/x&gt;</qt>"


def test_times_show_in_the_analysts_zone_with_utc_and_the_markets_clock() -> None:
    from zoneinfo import ZoneInfo

    from rr_desktop.gui.text import (
        format_market_time,
        format_time,
        set_display_zone,
        time_details,
        zone_name,
    )

    moment = 1_764_985_080  # 2025-12-06 01:38 UTC
    try:
        set_display_zone(ZoneInfo("Asia/Singapore"))
        assert format_time(moment) == "2025-12-06 09:38 UTC+08"
        assert format_market_time(moment, "ID") == "08:38 WIB in ID"
        assert format_market_time(moment, "NZ") == "14:38 NZDT in NZ"
        assert format_market_time(moment, "ZZ") is None  # no market clock known
        assert time_details(moment, "IN") == \
            "2025-12-06 09:38 UTC+08 \u00b7 01:38 UTC \u00b7 07:08 IST in IN"
        assert zone_name() == "Asia/Singapore, UTC+08:00"
        set_display_zone(ZoneInfo("America/Los_Angeles"))  # a day behind the market
        assert format_time(moment) == "2025-12-05 17:38 PST"
        assert format_market_time(moment, "JP") == "10:38 on Sat 06 Dec JST in JP"
    finally:
        set_display_zone(None)
