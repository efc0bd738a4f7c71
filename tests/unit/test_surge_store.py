"""Surge detection on a real migrated cache filled through the real ingest path
(store/surge.py): the window and baseline reads, extraction, incidents, dismissals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from rr_desktop.domain import Channel, Escalation, PolicyCategory
from rr_desktop.domain.surge import SurgeKind
from rr_desktop.store import surge
from rr_desktop.store.channel_state import ensure_channel
from rr_desktop.store.incidents import create_incident
from rr_desktop.store.ingest import merge_page
from rr_desktop.store.store import Store
from tests.factories import T0, escalation, incoming

NOW = T0 + timedelta(days=10, hours=12)
NOW_S = int(NOW.timestamp())


def put(store: Store, channel: str, records: list[Escalation]) -> list[int]:
    with store.write() as db:
        cid = ensure_channel(db, Channel(channel, "rr_api", {}))
        return sorted(merge_page(db, cid, [incoming(r) for r in records], [], NOW).changed_ids)


def at(minutes_ago: float, category: PolicyCategory = PolicyCategory.DANGEROUS_CHALLENGES,
       market: str = "ID", **fields: object) -> Escalation:
    when = NOW - timedelta(minutes=minutes_ago)
    return escalation(created_at=when, updated_at=when, category=category, market=market,
                      title=fields.pop("title", "Challenge video trending"),
                      body=fields.pop("body", "Teens copying a dangerous stunt."), **fields)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "cache.sqlite3")
    # Nine days of ordinary traffic: each hour one dangerous-challenge report from ID and
    # one hate-speech report from IN.
    history = [at(60 * h + 17, cat, market)
               for h in range(4, 9 * 24)
               for cat, market in ((PolicyCategory.DANGEROUS_CHALLENGES, "ID"),
                                   (PolicyCategory.HATE_SPEECH, "IN"))]
    put(s, "platform", history)
    yield s
    s.close()


def test_a_burst_synced_into_the_cache_is_suggested_with_the_usual_rate(store: Store) -> None:
    burst = put(store, "platform", [at(3 * n + 1, title=f"Blackout clip {n}")
                                    for n in range(10)])
    with store.read() as db:
        [found] = surge.find_surges(db, NOW)
    assert found.kind is SurgeKind.CATEGORY_MARKET
    assert set(burst) <= set(found.ids)
    assert found.reason.startswith(f"{found.size} dangerous challenges reports from ID in ")
    assert found.reason.endswith("usual is 1/h")


def test_ordinary_traffic_is_not_a_surge(store: Store) -> None:
    with store.read() as db:
        assert surge.find_surges(db, NOW) == []
        base = surge.baseline(db, NOW_S)
    assert base.days == 7
    assert base.per_hour("dangerous_challenges", "ID") == pytest.approx(1.0)


def test_a_url_shared_across_channels_in_two_spellings(store: Store) -> None:
    [one] = put(store, "platform", [at(30, PolicyCategory.PRIVACY, "PH", body=(
        "Leaked address at HTTPS://M.Example-Social.com/@leaker/post/99887766/?utm_source=x"))])
    [two] = put(store, "zendesk", [at(5, PolicyCategory.HARASSMENT_DOXXING, "PH",
                                      content_url="https://www.example-social.com/@leaker/"
                                                  "post/99887766")])
    with store.read() as db:
        found = surge.find_surges(db, NOW)
    assert [(s.kind, set(s.ids)) for s in found] == [(SurgeKind.URL, {one, two})]
    assert "https://example-social.com/@leaker/post/99887766" in found[0].reason


def test_linked_to_an_incident_is_not_suggested_again(store: Store) -> None:
    burst = put(store, "platform", [at(3 * n + 1) for n in range(10)])
    with store.write() as db:
        incident = create_incident(db, "Blackout challenge", "a.tan", NOW)
        db.execute(f"UPDATE escalation SET incident_id = ? WHERE id IN "
                   f"({', '.join('?' * len(burst))}) OR (category = 'dangerous_challenges' "
                   "AND created_at >= ?)", (incident, *burst, NOW_S - 4 * 3600))
    with store.read() as db:
        assert surge.find_surges(db, NOW) == []
    [late] = put(store, "platform", [at(0.5)])
    with store.read() as db:
        [found] = surge.find_surges(db, NOW)
    assert found.incident_id == incident and found.ids == (late,)


def test_a_dismissal_is_kept_in_the_cache_until_the_surge_grows(store: Store) -> None:
    put(store, "platform", [at(3 * n + 20) for n in range(10)])
    with store.read() as db:
        [found] = surge.find_surges(db, NOW)
    with store.write() as db:
        surge.dismiss(db, found, NOW_S)
    with store.read() as db:
        assert surge.find_surges(db, NOW) == []
        assert surge.load_dismissals(db)[found.key].ids == frozenset(found.ids)
    put(store, "platform", [at(n + 1) for n in range(6)])
    with store.read() as db:
        [back] = surge.find_surges(db, NOW)
    assert back.key == found.key and back.size == found.size + 6


def test_a_damaged_dismissal_record_is_forgotten_not_fatal(store: Store) -> None:
    put(store, "platform", [at(3 * n + 1) for n in range(10)])
    with store.write() as db:
        db.execute("INSERT INTO store_meta (key, value) VALUES (?, '{not json')",
                   (surge.DISMISSED_KEY,))
    with store.read() as db:
        assert len(surge.find_surges(db, NOW)) == 1


def test_the_window_is_read_from_the_triage_index_never_the_table(store: Store) -> None:
    with store.read() as db:
        plans = [" ".join(str(r[3]) for r in db.execute(f"EXPLAIN QUERY PLAN {sql}", args))
                 for sql, args in (
                     (f"SELECT e.id {surge._WINDOW} ORDER BY e.created_at DESC LIMIT 5",
                      (NOW_S - 3600, NOW_S)),
                     (f"SELECT e.category, e.market, count(*) {surge._WINDOW} GROUP BY 1, 2",
                      (NOW_S - 3600, NOW_S)))]
    for plan in plans:
        assert "COVERING INDEX ix_escalation_triage (priority=? AND created_at>? AND " \
               "created_at<?)" in plan, plan


def test_signals_are_read_once_per_version_and_only_with_two_channels(store: Store) -> None:
    url = "https://video.example.com/@dancer/v/7301234567890123456"
    [one] = put(store, "platform", [at(20, body=f"See {url}")])
    memo = surge.SignalMemo()
    with store.read() as db:
        alone = surge.recent_arrivals(db, NOW_S, memo)
    assert all(not a.urls for a in alone) and len(memo) == 0  # one channel: not read
    [two] = put(store, "zendesk", [at(10, body=f"Partner: {url}")])
    with store.read() as db:
        both = {a.id: a for a in surge.recent_arrivals(db, NOW_S, memo)}
    assert url in both[one].urls and url in both[two].urls
    read = len(memo)
    assert read == len(both)
    with store.read() as db:
        surge.recent_arrivals(db, NOW_S, memo)
    assert len(memo) == read  # unchanged escalations are not read again
    with store.write() as db:
        db.execute("UPDATE escalation SET body = 'edited', updated_at = updated_at + 1 "
                   "WHERE id = ?", (one,))
    with store.read() as db:
        again = {a.id: a for a in surge.recent_arrivals(db, NOW_S, memo)}
    assert len(memo) == read + 1 and not again[one].urls


@pytest.mark.parametrize(("url", "account"), [
    ("https://x.com/Fake_Bank_PH", "fake_bank_ph"),
    ("https://twitter.com/fake_bank_ph/status/1234567", "fake_bank_ph"),
    ("https://instagram.com/budi.id", "budi.id"),
    ("https://x.com/explore", None),
    ("https://x.com/i/web/status/1", None),
    ("https://instagram.com/p/Cx1234567", None),
    ("https://example.com/fake_bank_ph", None),
])
def test_profile_urls_name_accounts(url: str, account: str | None) -> None:
    assert surge.account_of_url(url) == account


def test_signals_leave_out_bare_sites_and_keep_content_ids() -> None:
    urls, accounts = surge.signals_of(
        "See https://www.example.com/ and https://youtu.be/dQw4w9WgXcQ?si=abc, "
        "cc @Moderator_1 and https://m.facebook.com/scam.page")
    assert "https://example.com" not in urls
    assert "content id dQw4w9WgXcQ" in urls
    assert accounts == {"moderator_1", "scam.page"}
