"""The feed channel end to end: a real nginx (ETag, 304), the real SyncEngine and Store."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from rr_desktop.channels.contract import AuthError, NetworkError, RateLimited, Rejected, ServerError
from rr_desktop.channels.feeds import FeedChannel, FeedRules
from rr_desktop.domain import Channel
from rr_desktop.store import channel_state as cs
from rr_desktop.store import outbox as ob
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import utcnow
from rr_desktop.sync.engine import SyncEngine
from tests.peers.nginx import Canary, NginxServer, free_port, watch_io

DATA = Path(__file__).resolve().parents[1] / "data" / "feeds"
HOSTILE = sorted((DATA / "hostile").glob("*.xml"))
CONFIG = {"default_market": "AU", "markets": "AU, NZ, ID, PH, JP",
          "keywords": "hoax, scam, misinformation, rumours",
          "critical_keywords": "livestream of attack", "category": "misinformation_crisis"}
TABLES = ("escalation", "escalation_event", "quarantine", "outbox", "conflict", "audit_log")


@pytest.fixture
def nginx() -> Iterator[NginxServer]:
    with NginxServer() as server:
        yield server


@pytest.fixture
def canary() -> Iterator[Canary]:
    c = Canary()
    yield c
    c.close()


@pytest.fixture
def secret_file() -> Iterator[str]:
    fd, path = tempfile.mkstemp(prefix="rr-secret-", suffix=".txt", dir="/tmp")
    os.write(fd, b"CANARY-SECRET-7f1e")
    os.close(fd)
    yield path
    os.unlink(path)


def fixture(name: str, canary: Canary, secret: str = "/nonexistent") -> bytes:
    text = (DATA / name).read_text(encoding="utf-8")
    return text.replace("@CANARY_URL@", canary.url).replace("@SECRET_FILE@", secret).encode()


@dataclass
class FeedEnv:
    """A cache with one feed channel and an engine that syncs it."""

    store: Store
    engine: SyncEngine
    client: FeedChannel

    def run(self) -> tuple[object, ...]:
        report = self.engine.run("news")
        return (report.error, report.received, report.changed, report.quarantined)

    def snapshot(self) -> dict[str, list[tuple[object, ...]]]:
        with self.store.read() as db:
            return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in TABLES}

    def rows(self) -> dict[str, tuple[object, ...]]:
        with self.store.read() as db:
            return {r[0]: tuple(r[1:]) for r in db.execute(
                "SELECT external_id, title, market, severity, urgency, status, tags, "
                "content_url, body, remote_version, id FROM escalation")}


MakeEnv = Callable[..., FeedEnv]


@pytest.fixture
def make_env(tmp_path: Path) -> Iterator[MakeEnv]:
    made: list[FeedEnv] = []

    def make(url: str, page_size: int = 200, **config: str) -> FeedEnv:
        store = Store.open(tmp_path / f"cache{len(made)}.sqlite3")
        conf = {**CONFIG, **config, "base_url": url}
        with store.write() as db:
            cs.ensure_channel(db, Channel("news", "feed", conf))
        client = FeedChannel("news", url, FeedRules.from_config(conf), page_size=page_size)
        env = FeedEnv(store, SyncEngine(store, {"news": client}), client)
        made.append(env)
        return env

    yield make
    for env in made:
        env.client.close()
        env.store.close()


def test_entries_arrive_once_and_a_304_writes_nothing(nginx: NginxServer, canary: Canary,
                                                      make_env: MakeEnv) -> None:
    url = nginx.put("wire.xml", fixture("apac_wire_v1.xml", canary))
    env = make_env(url)
    error, received, changed, quarantined = env.run()
    assert error is None
    assert (received, changed, quarantined) == (4, 4, 1)
    rows = env.rows()
    by_title = {r[0]: r for r in rows.values()}
    attack = by_title["Livestream of attack in Christchurch spreads on social media"]
    assert attack[1:6] == ("NZ", 0, 0, "new", "feed livestream-of-attack")
    assert attack[6] == "https://news.example/nz/attack-stream"  # tracking parameters gone
    assert by_title["Flood hoax videos circulate after Jakarta downpour"][1] == "ID"
    assert by_title["Investment scam wave targets retirees"][1:4] == ("AU", 2, 2)
    clinic = by_title["Misinformation about vaccine clinic spreads"]
    assert clinic[7] == "Claims are false, officials say.more\n\n- one\n- two & three"
    with env.store.read() as db:
        formatted = dict(db.execute("SELECT title, body_html FROM escalation").fetchall())
    # The entry's HTML is kept for the formatted view (sanitized when shown); a plain
    # description has none.
    assert "<li>two &amp; three</li>" in formatted["Misinformation about vaccine clinic spreads"]
    assert formatted["Investment scam wave targets retirees"] is None
    assert "Cricket: Australia win the third test" not in by_title  # no keyword
    assert "Election misinformation campaign in France" not in by_title  # not our market
    with env.store.read() as db:
        [(reason,)] = db.execute("SELECT reason FROM quarantine").fetchall()
    assert "no link, id or title" in reason
    before = env.snapshot()

    assert env.run() == (None, 0, 0, 0)
    assert env.snapshot() == before  # the 304 wrote no row, event, quarantine or audit
    first, second = nginx.requests()
    assert (first.status, first.if_none_match) == (200, "")
    assert (second.status, second.if_none_match) == (304, first_etag(nginx, "wire.xml"))
    assert canary.settle() == 0  # images, iframes, scripts, xml:base: nothing was fetched


def first_etag(nginx: NginxServer, name: str) -> str:
    st = (nginx.www / name).stat()
    return f'"{int(st.st_mtime):x}-{st.st_size:x}"'  # nginx's static-file ETag


def test_changed_guid_and_tracking_link_update_the_same_row(nginx: NginxServer,
                                                            canary: Canary,
                                                            make_env: MakeEnv) -> None:
    url = nginx.put("wire.xml", fixture("apac_wire_v1.xml", canary))
    env = make_env(url)
    assert env.run()[0] is None
    before = env.rows()
    nginx.put("wire.xml", fixture("apac_wire_v2.xml", canary))
    error, received, changed, _ = env.run()
    assert error is None
    after = env.rows()
    assert len(after) == 5 and set(before) < set(after)  # one new entry, no duplicate
    [new] = set(after) - set(before)
    assert after[new][1] == "PH"
    flood = next(k for k, r in before.items() if r[0].startswith("Flood hoax"))
    assert after[flood][0].endswith("(updated)")
    assert after[flood][8] > before[flood][8]  # same pubDate: the content guard bumped it
    assert after[flood][9] == before[flood][9]  # the same row
    assert (received, changed) == (5, 2)
    assert env.run() == (None, 0, 0, 0)
    assert [r.status for r in nginx.requests()] == [200, 200, 304]


def test_atom_updates_raise_the_version_and_cjk_keywords_match(nginx: NginxServer,
                                                               canary: Canary,
                                                               make_env: MakeEnv) -> None:
    url = nginx.put("crisis.atom", fixture("crisis_v1.atom", canary))
    env = make_env(url, keywords="rumours, 地震", markets="", default_market="SG")
    assert env.run()[:3] == (None, 2, 2)
    rows = {r[0]: r for r in env.rows().values()}
    assert set(rows) == {"Earthquake rumours spread in Tokyo", "東京で地震のデマ"}
    assert rows["東京で地震のデマ"][1:2] == ("JP",)
    assert rows["東京で地震のデマ"][7] == "日本の気象庁は否定した。"
    old = rows["Earthquake rumours spread in Tokyo"][8]
    nginx.put("crisis.atom", fixture("crisis_v2.atom", canary))
    assert env.run()[:3] == (None, 2, 1)
    rows = {r[0]: r for r in env.rows().values()}
    assert rows["Earthquake rumours spread in Tokyo"][8] == old + 2 * 3600 * 1000
    with env.store.read() as db:
        assert db.execute("SELECT reporter FROM escalation").fetchone()[0] == "Crisis Monitor"


def test_local_triage_is_kept_and_nothing_is_sent(nginx: NginxServer, canary: Canary,
                                                  make_env: MakeEnv) -> None:
    url = nginx.put("wire.xml", fixture("apac_wire_v1.xml", canary))
    env = make_env(url)
    assert env.run()[0] is None
    esc_id = next(r[9] for r in env.rows().values() if r[0].startswith("Investment"))
    now = utcnow()
    with env.store.write() as db:
        ob.record_local_update(db, esc_id, {"status": "triaged", "severity": "S1",
                                            "assignee": "a.tan"}, "a.tan", "seen", now)
        ob.record_message(db, esc_id, "note", "checked with the wire desk", "a.tan", now)
        with pytest.raises(ob.NotReceived, match="cannot send replies"):
            ob.record_message(db, esc_id, "reply", "thanks", "a.tan", now)
    report = env.engine.run("news")
    assert report.error is None and report.pushed == 0 and report.dead == 0
    with env.store.read() as db:
        ops = db.execute("SELECT op_type, state FROM outbox").fetchall()
        local = db.execute("SELECT count(*), count(op_id) FROM escalation_event WHERE "
                           "escalation_id = ? AND source = 'local'", (esc_id,)).fetchone()
        row = db.execute("SELECT status, severity, assignee FROM escalation WHERE id = ?",
                         (esc_id,)).fetchone()
    assert ops == []  # a news feed receives nothing: the triage stays on this machine
    assert local[0] >= 4 and local[1] == 0  # ... and its timeline says so (no op)
    assert tuple(row) == ("triaged", 1, "a.tan")
    assert {r.method for r in nginx.requests()} == {"GET"}  # no write ever left the app
    assert env.run()[0] is None


@pytest.mark.parametrize("doc", HOSTILE, ids=[p.stem for p in HOSTILE])
def test_hostile_feed_is_refused_without_file_or_network_access(
        nginx: NginxServer, canary: Canary, secret_file: str, make_env: MakeEnv,
        doc: Path) -> None:
    url = nginx.put("feed.xml", fixture(f"hostile/{doc.name}", canary, secret_file))
    env = make_env(url)
    with watch_io({secret_file, "file://" + secret_file}, {canary.port}) as watch:
        report = env.engine.run("news")
    assert report.error is not None and "feed refused: it" in report.error
    assert "DTD" in report.error or "XInclude" in report.error
    assert watch.opened == [] and watch.connected == [] and canary.settle() == 0
    dump = "\n".join(map(str, env.snapshot().values()))
    assert "CANARY-SECRET" not in dump
    with env.store.read() as db:
        assert db.execute("SELECT count(*) FROM escalation").fetchone()[0] == 0
        [(reason, raw)] = db.execute("SELECT reason, raw FROM quarantine").fetchall()
    assert reason.startswith("feed refused:") and ("<rss" in raw or "<feed" in raw)


def test_positive_control_the_feeds_canary_urls_register_when_fetched(
        canary: Canary, secret_file: str) -> None:
    """The zero-hit assertions above can fail: the canary URL each fixture carries is the
    live canary of this run, and a real fetch of every one registers (settle() counts)."""
    urls = []
    for name in ["apac_wire_v1.xml", *(f"hostile/{p.name}" for p in HOSTILE)]:
        text = fixture(name, canary, secret_file).decode()
        urls += re.findall(rf"http://127\.0\.0\.1:{canary.port}/[^\s\"'<>]*", text)
    assert len(urls) >= 5
    with requests.Session() as session, watch_io(set(), {canary.port}) as watch:
        for url in urls:
            assert session.get(url, timeout=10).status_code == 204
    assert canary.settle() == len(urls)
    assert watch.connected  # the watch sees a connection to the canary too


def test_big_feed_is_paged_and_arrives_once(nginx: NginxServer, make_env: MakeEnv) -> None:
    items = "".join(
        f"<item><title>hoax {i}</title><link>https://news.example/n/{i}</link>"
        f"<pubDate>Mon, 06 Jan 2025 10:{i % 60:02d}:00 GMT</pubDate></item>"
        for i in range(450))
    url = nginx.put("big.xml", f'<rss version="2.0"><channel><title>Big</title>{items}'
                               "</channel></rss>")
    env = make_env(url, page_size=200)
    report = env.engine.run("news")
    assert report.error is None and report.pages == 3 and report.received == 450
    assert len(env.rows()) == 450
    assert env.run() == (None, 0, 0, 0)
    assert [r.status for r in nginx.requests()] == [200, 304]
    # A restart between pages: a new client re-fetches (unconditionally) and goes on.
    rules = FeedRules.from_config({**CONFIG, "markets": ""})
    first = FeedChannel("news", url, rules, page_size=200)
    page1 = first.pull(None)
    first.close()
    second = FeedChannel("news", url, rules, page_size=200)
    page2 = second.pull(page1.next_cursor)
    second.close()
    assert not page1.done and not page2.done
    titles = [i.record.title for i in page1.items + page2.items]
    assert titles == [f"hoax {i}" for i in range(400)]
    assert nginx.requests()[-1].if_none_match == ""  # no validator mid-document


def test_a_failing_run_says_why_and_an_odd_cursor_means_a_full_fetch(
        nginx: NginxServer, canary: Canary, make_env: MakeEnv) -> None:
    env = make_env(f"{nginx.url}/moved-away.xml")
    report = env.engine.run("news")
    assert report.error is not None and "was not found (404): check the URL" in report.error
    with env.store.read() as db:
        assert cs.channel_statuses(db, utcnow())[0].last_error == report.error
    url = nginx.put("wire.xml", fixture("apac_wire_v1.xml", canary))
    client = FeedChannel("news", url, FeedRules.from_config(CONFIG))
    page = client.pull('{"etag": 5, "seen": [1, 2]}')
    client.close()
    assert page.done and len(page.items) == 4
    assert nginx.requests()[-1].if_none_match == ""


def test_errors_say_what_is_wrong(nginx: NginxServer, canary: Canary) -> None:
    nginx.put("page.html", "<html><body><p>Hello</p></body></html>")
    nginx.put("broken.rss", "<rss version='2.0'><channel><title>oops</channel></rss>")
    good = nginx.put("wire.xml", fixture("apac_wire_v1.xml", canary))
    rules = FeedRules.from_config(CONFIG)

    def verdict(url: str) -> str:
        client = FeedChannel("news", url, rules)
        try:
            client.check()
        except (AuthError, Rejected, NetworkError, ServerError) as exc:
            return str(exc)
        finally:
            client.close()
        return "ok"

    assert verdict(good) == "ok"
    assert "not an RSS or Atom feed (root element <html>)" in verdict(f"{nginx.url}/page.html")
    assert "not well-formed XML" in verdict(f"{nginx.url}/broken.rss")
    assert "not found (404): check the URL" in verdict(f"{nginx.url}/missing.xml")
    assert "marked this feed as gone (410)" in verdict(f"{nginx.url}/gone.xml")
    assert "feeds behind a login are not supported" in verdict(f"{nginx.url}/private.xml")
    assert "server error 502" in verdict(f"{nginx.url}/broken.xml")
    assert "refused the request (418)" in verdict(f"{nginx.url}/teapot.xml")
    assert "cannot reach" in verdict(f"http://127.0.0.1:{free_port()}/feed.xml")
    client = FeedChannel("news", f"{nginx.url}/busy.xml", rules)
    with pytest.raises(RateLimited) as limited:
        client.pull(None)
    assert limited.value.retry_after == 3
    client.close()


def test_local_triage_survives_an_edited_entry(nginx: NginxServer, canary: Canary,
                                               make_env: MakeEnv) -> None:
    url = nginx.put("wire.xml", fixture("apac_wire_v1.xml", canary))
    env = make_env(url)
    assert env.run()[0] is None
    esc_id = next(r[9] for r in env.rows().values() if r[0].startswith("Flood hoax"))
    with env.store.write() as db:
        ob.record_local_update(db, esc_id, {"status": "investigating", "assignee": "k.lee"},
                               "k.lee", None, utcnow())
    assert env.run()[0] is None  # pushed (locally acknowledged)
    nginx.put("wire.xml", fixture("apac_wire_v2.xml", canary))  # the article is edited
    assert env.run()[0] is None
    with env.store.read() as db:
        row = db.execute("SELECT title, status, assignee FROM escalation WHERE id = ?",
                         (esc_id,)).fetchone()
    assert row[0].endswith("(updated)")
    assert tuple(row[1:]) == ("investigating", "k.lee")
