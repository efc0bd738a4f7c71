"""Cross-channel duplicate suggestions over a cache filled through the real ingest path."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from rr_desktop.domain import Channel, Escalation
from rr_desktop.store import duplicates as dup
from rr_desktop.store.channel_state import ensure_channel
from rr_desktop.store.ingest import merge_page
from rr_desktop.store.store import Store
from tests.factories import T0, escalation, incoming

VIDEO = "7312345678901234567"
URL = f"https://video.example.com/@gunman_live/video/{VIDEO}"
REPORT = ("Partner forwarded a long account of the Kaohsiung harbour incident: the uploader "
          "narrates the preparation, names the ferry terminal, shows the crowd gathering and "
          "asks followers to mirror the stream before moderators arrive; comments are "
          "coordinating re-uploads on three mirror sites.")


def put(store: Store, channel: str, records: list[Escalation]) -> list[int]:
    with store.write() as db:
        cid = ensure_channel(db, Channel(channel, "rr_api", {}))
        return list(merge_page(db, cid, [incoming(r) for r in records], [], T0).changed_ids)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "cache.sqlite3")
    yield s
    s.close()


@pytest.fixture
def cache(store: Store) -> dict[str, int]:
    """Named escalations across three channels among 330 unrelated ones."""
    filler = [escalation(body=f"Trusted flagger reports {n} re-uploads of clip {n % 7}.",
                         title=f"Re-upload wave number {n}") for n in range(300)]
    busy = [escalation(title=f"Spam from @busyaccount, case {n}", body="Another spam wave.")
            for n in range(30)]
    names: dict[str, int] = {}

    def one(channel: str, key: str, **fields: object) -> None:
        names[key] = put(store, channel, [escalation(**fields)])[0]

    put(store, "platform", filler + busy)
    one("platform", "origin", title="Livestream of harbour attack",
        body=f"In-app reports of https://VIDEO.Example.COM/@gunman_live/video/{VIDEO}/"
        "?utm_source=share#t",
        content_url=URL)
    one("partner_desk", "by_url", title="Partner ticket 4411",
        body=f"Please review https://www.video.example.com/@gunman_live/video/{VIDEO}/ now.")
    one("platform", "same_channel_url", title="Second in-app cluster",
        body=f"Users keep reporting {URL}.")
    one("ler_inbox", "by_id", title="Police request", body=f"Re: content id {VIDEO}, urgent.")
    one("partner_desk", "text_a", title="Harbour stream report", body=REPORT)
    one("ler_inbox", "text_b", title="FW: Harbour stream report",
        body="FW: " + REPORT.replace("three", "four"))
    one("partner_desk", "handle_a", title="Doxxing by @quiet_handle_x",
        body="Home address posted.")
    one("ler_inbox", "handle_b", title="Address leak", body="The account @Quiet_Handle_X again.")
    one("ler_inbox", "busy_other", title="@busyaccount spam again", body="More spam.")
    one("ler_inbox", "loner", title="Nothing alike", body="Unrelated words entirely here.")
    return names


@pytest.fixture
def db(cache: dict[str, int], store: Store) -> Iterator[sqlite3.Connection]:
    with store.read() as conn:
        yield conn


def by_id(suggestions: list[dup.DuplicateSuggestion]) -> dict[int, dup.DuplicateSuggestion]:
    return {s.escalation_id: s for s in suggestions}


def test_normalize_url() -> None:
    assert dup.normalize_url("HTTPS://Www.Example.COM:443/a//b/?utm_source=x&b=2&a=1#frag") \
        == "https://example.com/a/b?a=1&b=2"
    assert dup.normalize_url("http://example.com:8080/x/).") == "https://example.com:8080/x"
    assert dup.normalize_url("https://en.wikipedia.org/wiki/Foo_(bar))") == \
        "https://en.wikipedia.org/wiki/Foo_(bar)"
    assert dup.normalize_url("javascript:alert(1)") is None
    assert dup.normalize_url("https://exa mple.com:99999/") is None


def test_signals_from_text_and_urls() -> None:
    s = dup.extract_signals([
        "See https://www.tiktok.com/@Some.User/video/7300000000000000001?lang=en and "
        "https://youtu.be/dQw4w9WgXcQ, also https://www.youtube.com/watch?v=abcdef12345 .",
        "Mail me at someone@example.com; @Other_Handle posted content id XYZ-98765.",
        "Ref 7399999999999999999 and phone 0812345678.",
    ])
    assert s.urls == {"https://tiktok.com/@Some.User/video/7300000000000000001?lang=en",
                      "https://youtu.be/dQw4w9WgXcQ",
                      "https://youtube.com/watch?v=abcdef12345"}
    assert s.handles == {"some.user", "other_handle"}
    assert s.content_ids == {"7300000000000000001", "dQw4w9WgXcQ", "abcdef12345",
                             "XYZ-98765", "7399999999999999999"}


def test_words_are_not_content_ids() -> None:
    s = dup.extract_signals(["https://video.example.com/video/trending and "
                             "https://video.example.com/p/AbCdEfGh, video ID unknown."])
    assert s.content_ids == {"AbCdEfGh"}
    assert dup.looks_like_id("7300000000000000001") and not dup.looks_like_id("unknown")


def test_same_url_across_channels_ranks_first(cache: dict[str, int],
                                              db: sqlite3.Connection) -> None:
    found = dup.suggest_duplicates(db, cache["origin"], limit=10)
    ids = [s.escalation_id for s in found]
    assert cache["origin"] not in ids
    assert ids[0] == cache["by_url"]
    first = found[0]
    assert (first.channel, first.title, first.same_channel) == (
        "partner_desk", "Partner ticket 4411", False)
    assert f"same URL {URL}" in first.reasons
    assert "same handle @gunman_live" in first.reasons
    by = by_id(found)
    same = by[cache["same_channel_url"]]
    assert same.same_channel and f"same URL {URL}" in same.reasons
    assert same.score < first.score  # same evidence, same channel: lower
    assert by[cache["by_id"]].reasons == (f"same content id {VIDEO}",)
    assert all(0 < s.score <= 1 for s in found)
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)


def test_content_id_finds_the_platform_escalation(cache: dict[str, int],
                                                  db: sqlite3.Connection) -> None:
    ids = [s.escalation_id for s in dup.suggest_duplicates(db, cache["by_id"])]
    assert cache["origin"] in ids and cache["by_url"] in ids


def test_near_identical_text(cache: dict[str, int], db: sqlite3.Connection) -> None:
    [s] = dup.suggest_duplicates(db, cache["text_b"])
    assert s.escalation_id == cache["text_a"]
    assert len(s.reasons) == 1 and s.reasons[0].startswith("near-identical text (")
    percent = int(s.reasons[0].removeprefix("near-identical text (").removesuffix("%)"))
    assert 80 <= percent < 100


def test_handles_count_only_when_rare(cache: dict[str, int], db: sqlite3.Connection) -> None:
    [s] = dup.suggest_duplicates(db, cache["handle_b"])
    assert s.escalation_id == cache["handle_a"]
    assert s.reasons == ("same handle @quiet_handle_x",)
    # @busyaccount is in 31 escalations: a busy account, not evidence of a duplicate.
    assert dup.suggest_duplicates(db, cache["busy_other"]) == []


def test_never_itself_limits_and_unknown_ids(cache: dict[str, int],
                                            db: sqlite3.Connection) -> None:
    for esc_id in cache.values():
        assert esc_id not in [s.escalation_id for s in dup.suggest_duplicates(db, esc_id)]
    assert len(dup.suggest_duplicates(db, cache["origin"], limit=2)) == 2
    assert dup.suggest_duplicates(db, cache["origin"], limit=0) == []
    assert dup.suggest_duplicates(db, cache["loner"]) == []
    assert dup.suggest_duplicates(db, 10**9) == []


def test_no_query_scans_the_escalation_table(cache: dict[str, int],
                                            db: sqlite3.Connection) -> None:
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    try:
        dup.suggest_duplicates(db, cache["origin"])
        dup.suggest_duplicates(db, cache["text_b"])
    finally:
        db.set_trace_callback(None)
    ours = [s for s in statements  # FTS5's own reads of its shadow tables name 'main'
            if s.lstrip().upper().startswith("SELECT") and "'main'." not in s]
    plans = [row[3] for sql in ours for row in db.execute("EXPLAIN QUERY PLAN " + sql)]
    assert any("escalation_fts VIRTUAL TABLE" in p for p in plans)
    table_scans = [p for p in plans if re.match(r"SCAN (e|escalation)\b(?!_fts)", p)]
    assert table_scans == []
    fts_queries = [s for s in statements if "escalation_fts MATCH" in s]
    assert fts_queries and all("LIMIT" in s for s in fts_queries)


def test_content_url_only_needs_an_index(store: Store) -> None:
    """A URL held only in both content_urls is invisible to FTS (title/body/tags); with an
    index on content_url (a migration's business) it is found."""
    url = "https://video.example.com/@quiet/video/7300000000000000077"
    [a] = put(store, "platform", [escalation(title="Clip A", body="Seen.", content_url=url)])
    [b] = put(store, "partner_desk", [escalation(title="Other words", body="Nothing.",
                                                 content_url=url)])
    with store.read() as db:
        assert dup.suggest_duplicates(db, a) == []
    with store.write() as db:
        db.execute("CREATE INDEX ix_test_content_url ON escalation (content_url)")
    with store.read() as db:
        [s] = dup.suggest_duplicates(db, a)
    assert s.escalation_id == b and f"same URL {url}" in s.reasons
