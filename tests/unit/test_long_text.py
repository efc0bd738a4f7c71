"""Long bodies are cut once, in the domain, at a character boundary, saying so."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from rr_desktop.domain import (
    MAX_BODY,
    MAX_BODY_HTML,
    Escalation,
    Extent,
    PolicyCategory,
    Region,
    ReporterType,
    Severity,
    Status,
    Urgency,
    cut_marker,
    cut_text,
)
from rr_desktop.domain.long_text import boundary, cut_html

T = datetime(2026, 3, 3, tzinfo=UTC)


def record(body: str, html: str | None = None) -> Escalation:
    return Escalation("x", 1, "t", body, "r", ReporterType.USER, PolicyCategory.OTHER, "TH",
                      Region.APAC, "th", Severity.S2, Urgency.U2, Status.NEW, T, T,
                      body_html=html)


def split(text: str) -> tuple[str, str]:
    kept, sep, line = text.rpartition("\n\n")
    assert sep, text[-200:]
    return kept, line


def test_a_660k_body_ends_with_the_cut_line_and_keeps_its_start() -> None:
    body = ("ประกาศ: เนื้อหาที่ต้องลบโดยด่วน 朱鎔基 똠방각하 " * 20_000)[:660_000]
    rec = record(body)
    kept, line = split(rec.body)
    assert len(rec.body) <= MAX_BODY and len(kept) > MAX_BODY - 200
    assert line == cut_marker(len(kept), 660_000)
    assert line.startswith("[cut: ") and "of 660,000 characters; full text at the source]" in line
    assert body.startswith(kept) and "\ufffd" not in rec.body
    # A record built again from a cut one (dataclasses.replace, the cache) is not cut twice.
    assert replace(rec, title="u").body == rec.body


def test_short_bodies_and_html_are_left_alone() -> None:
    rec = record("short", "<p>short</p>")
    assert (rec.body, rec.body_html) == ("short", "<p>short</p>")
    assert record("a" * MAX_BODY).body == "a" * MAX_BODY


def test_thai_marks_stay_with_their_letter() -> None:
    # กี่ = KO KAI + SARA II + MAI EK: cutting after KO KAI would change the word.
    word = "กี่"
    for pad in range(3):
        text = "x" * pad + word * 400
        out = cut_text(text, 300)
        kept, _ = split(out)
        assert len(out) <= 300 and text.startswith(kept)
        assert kept.endswith(word) or kept == "x" * pad


def test_emoji_sequences_flags_and_crlf_are_not_split() -> None:
    family = "\U0001F469\u200D\U0001F469\u200D\U0001F467"  # ZWJ sequence
    flag = "\U0001F1F9\U0001F1ED"
    for unit in (family, flag, "e\u0301", "\r\n", "\U0001F44D\U0001F3FD", "\u1100\u1161\u11A8"):
        text = "a" + unit * 5000
        for end in range(len(text) - 40, len(text) - 20):
            at = boundary(text, end)
            assert end - at < len(unit) and (at - 1) % len(unit) == 0, (unit, end, at)


def test_a_line_break_near_the_cut_is_preferred() -> None:
    text = ("word " * 30 + "\n") * 100
    kept, line = split(cut_text(text, 1000))
    assert text.startswith(kept) and text[len(kept):].startswith(" \n")
    assert line == cut_marker(len(kept), len(text))


def test_what_the_channel_knows_of_the_whole_is_said() -> None:
    start = "ก" * 5000  # all a partial fetch brought
    kept, line = split(cut_text(start, source_chars=2_400_000, extent=Extent.ABOUT))
    assert kept == start and line == "[cut: 5,000 of about 2,400,000 characters; full " \
                                      "text at the source]"
    kept, line = split(cut_text(start, source_chars=5000, extent=Extent.MORE_THAN))
    assert line == "[cut: 5,000 of more than 5,000 characters; full text at the source]"
    assert cut_text(start, source_chars=5000) == start  # exact and whole: nothing to say
    # Without a length from the channel the text is all there is: its length is exact.
    assert split(cut_text(start, 300, extent=Extent.ABOUT))[1] == \
        "[cut: " + f"{len(split(cut_text(start, 300))[0]):,}" + " of 5,000 characters; " \
        "full text at the source]"


def test_html_is_not_cut_inside_a_tag() -> None:
    html = '<p><a href="https://example.com/a-long-path">link</a> text</p>' * 10_000
    rec = record("body", html)
    assert rec.body_html is not None and len(rec.body_html) <= MAX_BODY_HTML
    head, _, tail = rec.body_html.rpartition("\n<p>")
    assert tail == cut_marker(len(head), len(html)) + "</p>"
    assert html.startswith(head) and head.rfind("<") < head.rfind(">")
    assert cut_html(html[:100]) == html[:100]


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=400), st.integers(min_value=90, max_value=300))
def test_any_text_is_cut_to_the_limit_at_a_boundary(text: str, limit: int) -> None:
    out = cut_text(text, limit)
    assert len(out) <= limit
    if len(text) <= limit:
        assert out == text
        return
    kept, line = split(out)
    assert line == cut_marker(len(kept), len(text))
    assert text.startswith(kept)
    rest = text[len(kept):]
    # The first character left out is never a mark of the last one kept (unless the
    # text piles up more marks than anyone writes: then the cut gives up on them).
    if rest and unicodedata.category(rest[0]) in MARKS:
        assert all(unicodedata.category(c) in MARKS for c in rest[:32])


MARKS = ("Mn", "Mc", "Me")
