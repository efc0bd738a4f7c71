"""Feed entries: stable ids when guids change or repeat, versions that always increase."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import feedparser
from hypothesis import given
from hypothesis import strategies as st

from rr_desktop.channels.feeds import FeedRules, process_document
from rr_desktop.channels.feeds.records import html_text, identities, next_version, normalize_link
from rr_desktop.domain import Incoming, Quarantined

NOW = datetime(2025, 1, 7, tzinfo=UTC)


def _parse(items: str) -> Any:
    doc = f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    return feedparser.parse(io.BytesIO(doc.encode()))


def _ids(items: str) -> list[str | None]:
    return identities([dict(e) for e in _parse(items).entries])


def test_link_normalisation_drops_tracking_fragment_scheme_and_case() -> None:
    same = {
        normalize_link("https://News.Example:443/a/b?id=7&utm_source=x&fbclid=1#frag"),
        normalize_link("http://news.example/a/b?utm_medium=rss&id=7"),
        normalize_link(" https://news.example./a/b?id=7 "),
    }
    assert same == {"//news.example/a/b?id=7"}
    assert normalize_link("https://news.example/a/b?id=8") != "//news.example/a/b?id=7"
    assert normalize_link("https://news.example:8443/x") == "//news.example:8443/x"
    for bad in ("javascript:alert(1)", "file:///etc/passwd", "", None, "http://[::1/x", 7):
        assert normalize_link(bad) is None


def test_changed_guid_keeps_the_id_and_reused_guid_does_not_merge() -> None:
    first = _ids("<item><guid>1</guid><title>A</title><link>https://n.example/a</link></item>"
                 "<item><guid>2</guid><title>B</title><link>https://n.example/b</link></item>")
    # The CMS re-issued every guid, and reused "1" for a new article.
    second = _ids("<item><guid>x9</guid><title>A!</title>"
                  "<link>https://n.example/a?utm_source=t#c</link></item>"
                  "<item><guid>1</guid><title>C</title><link>https://n.example/c</link></item>")
    assert second[0] == first[0]
    assert second[1] not in first


def test_shared_links_fall_back_to_guid_then_title() -> None:
    ids = _ids("<item><guid>g1</guid><title>A</title><link>https://n.example/</link></item>"
               "<item><guid>g2</guid><title>B</title><link>https://n.example/</link></item>"
               "<item><title>C</title><pubDate>Mon, 06 Jan 2025 10:00:00 GMT</pubDate></item>"
               "<item><description>nothing to go by</description></item>")
    assert ids[0] is not None and ids[0].startswith("g:")
    assert ids[1] is not None and ids[1].startswith("g:") and ids[0] != ids[1]
    assert ids[2] is not None and ids[2].startswith("t:")
    assert ids[3] is None


@given(st.lists(st.tuples(st.integers(0, 2**45), st.sampled_from("abcd")), max_size=30))
def test_version_increases_with_every_content_change(changes: list[tuple[int, str]]) -> None:
    previous: tuple[int, str] | None = None
    for base, content in changes:
        version = next_version(base, content, previous)
        if previous is not None:
            if content == previous[1]:
                assert version >= previous[0]
            else:
                assert version > previous[0]
        previous = (version, content)


def test_edited_entry_without_new_date_gets_a_higher_version() -> None:
    rules = FeedRules("AU")
    item = ("<item><title>{}</title><link>https://n.example/a</link>"
            "<pubDate>Mon, 06 Jan 2025 10:00:00 GMT</pubDate></item>")
    seen: dict[str, tuple[int, str]] = {}
    [first] = process_document(_parse(item.format("Old")), rules, {}, seen, NOW, "https://x/")
    again: dict[str, tuple[int, str]] = {}
    [same] = process_document(_parse(item.format("Old")), rules, seen, again, NOW, "https://x/")
    newer: dict[str, tuple[int, str]] = {}
    [edited] = process_document(_parse(item.format("New")), rules, again, newer, NOW,
                                "https://x/")
    assert isinstance(first, Incoming) and isinstance(same, Incoming)
    assert isinstance(edited, Incoming)
    assert first.record.remote_version == same.record.remote_version == 1736157600000
    assert edited.record.remote_version == first.record.remote_version + 1
    assert first.record.created_at == datetime(2025, 1, 6, 10, tzinfo=UTC)


def test_far_future_dates_are_ignored() -> None:
    doc = _parse("<item><title>x</title><link>https://n.example/f</link>"
                 "<pubDate>Fri, 31 Dec 9999 23:59:59 GMT</pubDate></item>")
    [item] = process_document(doc, FeedRules("AU"), {}, {}, NOW, "https://x/")
    assert isinstance(item, Incoming)
    assert item.record.remote_version == 0 and item.record.created_at == NOW


def test_entry_without_identity_is_quarantined_not_raised() -> None:
    doc = _parse("<item><description>anonymous</description></item>"
                 "<item><title>named</title></item>")
    bad, good = process_document(doc, FeedRules("AU"), {}, {}, NOW, "https://x/")
    assert isinstance(bad, Quarantined) and "anonymous" in bad.raw
    assert isinstance(good, Incoming) and good.record.reporter == "T"


def test_html_becomes_plain_text_without_loading_anything() -> None:
    html = ('<p>One<script>alert(1)</script><style>p{}</style></p><img src="http://x/y">'
            "<iframe src='file:///etc/passwd'></iframe><p>Two &amp; &#x41;&#0;\x07</p>"
            "<ul><li>a</li><li>b</li></ul><p>\u202eevil</p>")
    assert html_text(html) == "One\n\nTwo & A\ufffd\n\n- a\n- b\n\n\u202eevil"
    assert html_text("x" * 50, limit=10) == "x" * 9 + "…"


def test_churning_guids_and_tracking_parameters_are_not_changes() -> None:
    rules = FeedRules("AU")
    item = ("<item><guid>{}</guid><title>Same story</title>"
            "<link>https://n.example/s?utm_source={}</link></item>")
    seen: dict[str, tuple[int, str]] = {}
    [a] = process_document(_parse(item.format("r1", "a")), rules, {}, seen, NOW, "https://x/")
    later: dict[str, tuple[int, str]] = {}
    [b] = process_document(_parse(item.format("r2", "b")), rules, seen, later, NOW,
                           "https://x/")
    assert isinstance(a, Incoming) and isinstance(b, Incoming)
    assert (a.record.external_id, a.payload_hash, a.record.remote_version) == (
        b.record.external_id, b.payload_hash, b.record.remote_version)
