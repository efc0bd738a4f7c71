"""Email channel MIME handling: headers, BODYSTRUCTURE, transfer encodings, HTML to text."""

from __future__ import annotations

import base64
import quopri
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rr_desktop.channels.email import mime
from rr_desktop.channels.email.mime import (
    MAIL_HTML,
    MAX_HEADER,
    BodyText,
    Part,
    attachments,
    body_text,
    choose_text,
    clean,
    decode_part,
    normalize_id,
    parse_headers,
    thread_ids,
    walk,
)
from rr_desktop.channels.html_text import html_to_text

# As IMAPClient parses Dovecot's BODYSTRUCTURE of multipart/mixed(alternative(plain, html),
# pdf with an RFC 2231 name, gif).
MIXED = ([([(b"text", b"plain", (b"charset", b"utf-8"), None, None, b"7bit", 12, 1, None,
             None, None, None),
            (b"text", b"html", (b"charset", b"utf-8"), None, None, b"7bit", 25, 1, None,
             None, None, None)], b"alternative", (b"boundary", b"b1"), None, None, None),
          (b"application", b"pdf", None, None, None, b"base64", 1782, None,
           (b"attachment", (b"filename*", b"utf-8''Gerichtsbeschluss%20%C3%A4%C3%B6.pdf")),
           None, None),
          (b"image", b"gif", None, None, None, b"base64", 10, None,
           (b"attachment", (b"filename", b"x.gif")), None, None)],
         b"mixed", (b"boundary", b"b0"), None, None, None)
SINGLE = (b"text", b"plain", (b"charset", b"us-ascii"), None, None, b"7bit", 8, 1, None, None,
          None, None)


def test_bodystructure_sections_text_choice_and_attachment_listing() -> None:
    parts = walk(MIXED)
    assert [p.section for p in parts] == ["1.1", "1.2", "2", "3"]
    shown = choose_text(parts)
    assert shown is not None and (shown.section, shown.ctype) == ("1.1", "text/plain")
    listed = attachments(parts, shown)
    assert [(a.name, a.ctype) for a in listed] == [
        ("Gerichtsbeschluss äö.pdf", "application/pdf"), ("x.gif", "image/gif")]
    assert listed[0].describe() == "Gerichtsbeschluss äö.pdf (application/pdf, 1 KB)"
    [only] = walk(SINGLE)
    assert only.section == "1" and choose_text([only]) is only


def test_html_is_chosen_only_without_plain_text() -> None:
    html_only = walk(([MIXED[0][0][0][1]], b"alternative", None, None, None, None))
    shown = choose_text(html_only)
    assert shown is not None and shown.ctype == "text/html" and shown.section == "1"
    attached_text = walk((b"text", b"plain", None, None, None, b"7bit", 5, 1, None,
                          (b"attachment", (b"filename", b"log.txt")), None, None))
    assert choose_text(attached_text) is None


def test_hostile_bodystructure_is_bounded() -> None:
    deep: tuple[object, ...] = SINGLE
    for _ in range(100):
        deep = ([deep], b"mixed", None, None, None, None)
    assert walk(deep) == []  # nesting beyond the cap is ignored, not recursed into
    assert walk(()) == [] and walk((b"x",)) == []
    assert walk((b"text", b"plain", b"not-params", 7, None, None, "nan")) != []


def test_transfer_encodings_and_charsets_even_when_truncated() -> None:
    text = "Überprüfung: bitte sofort prüfen. " * 10
    b64 = base64.encodebytes(text.encode("utf-8"))
    assert decode_part(b64, "base64", "utf-8") == text
    assert decode_part(b64[:101], "base64", "utf-8").startswith("Überprüfung")
    qp = quopri.encodestring(text.encode("latin-1"))
    assert decode_part(qp, "quoted-printable", "ISO-8859-1") == text
    assert decode_part(b"caf\xe9", "8bit", "x-unknown-charset") == "caf\ufffd"


def test_html_to_text_drops_active_content_and_keeps_link_targets() -> None:
    html = ("<html><head><title>t</title><style>b{}</style></head><body>"
            "<p>Hi&nbsp;<b>team</b> &amp; all</p><script>alert(1)</script>"
            "<img src='https://tracker.example/p.gif'>"
            "<a href='https://bad.example/x'>see</a> <a href='javascript:evil()'>no</a>"
            "</body></html>")
    assert html_to_text(html, MAIL_HTML) == "Hi team & all\nsee [link: https://bad.example/x] no"
    assert html_to_text("<p>unclosed <b>tags &lt;script&gt;", MAIL_HTML) == \
        "unclosed tags <script>"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000))
def test_html_to_text_never_raises_on_arbitrary_input(html: str) -> None:
    out = html_to_text(html, MAIL_HTML)
    assert "\x00" not in out and len(out) <= 210_000


def test_headers_rfc2047_dates_ids_and_priority() -> None:
    raw = (b"From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <Joerg@Police.Example.DE>\r\n"
           b"Reply-To: desk@police.example.de\r\n"
           b"Subject: =?utf-8?b?RHJpbmdlbmQ6IExpdmVzdHJlYW0=?=\r\n"
           b"Date: Tue, 3 Mar 2026 10:00:00 +0100\r\n"
           b"Message-ID: <ABC@Mail.Police.Example.DE>\r\n"
           b"In-Reply-To: <p2@x.example>\r\n"
           b"References: <root@x.example>\r\n <p2@x.example>\r\n"
           b"Importance: High\r\nContent-Language: de-DE\r\n\r\n")
    h = parse_headers(raw)
    assert (h.sender_name, h.sender_addr, h.reply_to) == (
        "Jörg Müller", "joerg@police.example.de", "desk@police.example.de")
    assert h.subject == "Dringend: Livestream"
    assert h.date == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    assert h.message_id == "ABC@mail.police.example.de"
    assert h.parents == ("root@x.example", "p2@x.example")
    assert h.urgent and h.language == "de-DE"


def test_headers_that_cannot_be_a_message() -> None:
    with pytest.raises(ValueError, match="no From address"):
        parse_headers(b"Subject: hi\r\nMessage-ID: <a@b>\r\n\r\n")
    with pytest.raises(ValueError, match="larger than"):
        parse_headers(b"From: a@b.example\r\nX-Pad: " + b"x" * MAX_HEADER + b"\r\n\r\n")
    h = parse_headers(b"From: a@b.example\r\nDate: not a date\r\n\r\n")
    assert h.date is None and h.subject == ""


def test_ids_without_message_id_are_stable_and_chains_are_capped() -> None:
    raw = b"From: a@b.example\r\nDate: Tue, 3 Mar 2026 10:00:00 +0100\r\nSubject: x\r\n\r\n"
    assert thread_ids(raw) == thread_ids(raw)
    assert thread_ids(raw)[0].endswith("@rr.invalid")
    refs = b" ".join(b"<r%d@x.example>" % i for i in range(80))
    own, parents = thread_ids(b"Message-ID: <me@x.example>\r\nReferences: " + refs + b"\r\n")
    assert own == "me@x.example" and len(parents) == 50
    assert parents[0] == "r0@x.example" and parents[-1] == "r79@x.example"
    # A message listing itself as its parent is not its own parent.
    assert thread_ids(b"Message-ID: <m@x>\r\nIn-Reply-To: <m@x>\r\n")[1] == ()


def test_normalize_id_and_clean() -> None:
    assert normalize_id(" <Local.Part@EXAMPLE.com> ") == "Local.Part@example.com"
    long = normalize_id("x" * 500 + "@example.com")
    assert long.startswith("h-") and len(long) < 60
    assert clean("a\r\nb\x00\x1b[31m\n\n\n\nc") == "a\nb[31m\n\nc"
    assert clean("y" * 50, cap=10).startswith("yyyyyyyyyy\n[... truncated, 50")


def test_body_text_of_an_html_part() -> None:
    parts = walk(([MIXED[0][0][0][1]], b"alternative", None, None, None, None))
    data = base64.encodebytes(b"<p>Remove <i>now</i></p>")
    html_part = parts[0]
    html_part = type(html_part)(html_part.section, html_part.ctype, html_part.params,
                                "base64", html_part.size, "", "")
    # The text for search and the plain view, and the HTML as sent for the formatted one.
    assert body_text(html_part, data) == BodyText("Remove now", "<p>Remove <i>now</i></p>")


def test_a_part_longer_than_the_fetch_ends_whole_with_an_estimate(
        monkeypatch: pytest.MonkeyPatch) -> None:
    text = "ผู้ใหญ่ 朱鎔基 똠방각하 " * 2000
    data = base64.encodebytes(text.encode("utf-8"))
    part = Part("1", "text/plain", {"charset": "utf-8"}, "base64", len(data), "", "")
    monkeypatch.setattr(mime, "MAX_PART", 4000)
    got = body_text(part, data[:4000])  # what a partial FETCH <0.4000> brings
    assert got.source_chars is not None and "\ufffd" not in got.text
    assert text.startswith(got.text) and 1000 < len(got.text) < 1200
    assert abs(got.source_chars - len(text)) < len(text) * 0.02  # chars per byte, scaled
    for shift in range(6):  # a quoted-printable escape cut off at the end, or not
        qp = quopri.encodestring(("x" * shift + text).encode("cp874", "replace"))
        cut = body_text(Part("1", "text/plain", {"charset": "windows-874"},
                             "quoted-printable", len(qp), "", ""), qp[:4000])
        assert cut.source_chars and "\ufffd" not in cut.text and "=" not in cut.text
