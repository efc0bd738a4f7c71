"""The cache against damaged schemas, repeated bad records, long syncs and hostile text:
migration 0004, quarantine rows counted not repeated, the last run's outcome, the schema
check at open, the WAL kept bounded and truncated, the text boundary."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rr_desktop.demo import DemoServer
from rr_desktop.domain import Channel, Fact, Incoming, Quarantined
from rr_desktop.store import channel_state as cs
from rr_desktop.store import store as store_module
from rr_desktop.store.ingest import merge_page
from rr_desktop.store.migrate import HEAD_REVISION
from rr_desktop.store.schema_check import EXPECTED
from rr_desktop.store.storable import clean_text
from rr_desktop.store.store import CorruptDatabase, Store
from tests.factories import T0, escalation, incoming
from tests.integration.sync_env import TOKEN, make_env
from tests.migrated import cache_at_revision

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "cache.sqlite3")
    with s.write() as db:
        cs.ensure_channel(db, Channel("c", "rr_api", {}))
    yield s
    s.close()


def _quarantine(store: Store) -> list[tuple[object, ...]]:
    with store.read() as db:
        return db.execute("SELECT external_id, reason, seen_count, received_at, last_seen_at "
                          "FROM quarantine ORDER BY id").fetchall()


# -- the text boundary -----------------------------------------------------------------

@pytest.mark.parametrize(("text", "clean"), [
    ("plain ascii", "plain ascii"),
    ("Ti\u1ebfng Vi\u1ec7t \u0e44\u0e17\u0e22", "Ti\u1ebfng Vi\u1ec7t \u0e44\u0e17\u0e22"),
    # raw UTF-8 carried by surrogateescape (Python's email package does this): decoded
    (b"T\xc3\xa2n Nguy\xe1\xbb\x85n".decode("ascii", "surrogateescape"), "T\u00e2n Nguy\u1ec5n"),
    # bytes that are not UTF-8: visibly replaced
    (b"Jos\xe9".decode("ascii", "surrogateescape"), "Jos\ufffd"),
    ("lone \ud800 high", "lone \ufffd high"),
    ("pair \ud83d\ude00 split", "pair \U0001f600 split"),
    ("\udc00 low outside the byte range", "\ufffd low outside the byte range"),
])
def test_clean_text_makes_valid_utf8(text: str, clean: str) -> None:
    assert clean_text(text) == clean
    clean_text(text).encode("utf-8")


def test_any_text_in_any_field_of_a_record_is_stored_cleaned(store: Store) -> None:
    hostile = "T\udcc3\udca2n \ud800 \udcff"
    rec = escalation(external_id="X-\udcff", title=hostile, body=hostile, reporter=hostile,
                     language="th\ud800", assignee=hostile, content_url=hostile,
                     tags=("a\udcc3\udca2",), facts=(Fact(T0, hostile),), body_html=hostile)
    good = escalation()
    with store.write() as db:
        result = merge_page(db, 1, [incoming(rec), incoming(good)], [], NOW)
    assert len(result.changed_ids) == 2 and result.quarantined == 0
    with store.read() as db:
        row = db.execute("SELECT title, reporter, assignee, tags, facts, external_id "
                         "FROM escalation WHERE title LIKE 'T%n%'").fetchone()
    assert row[0] == row[1] == row[2] == "T\u00e2n \ufffd \ufffd"
    assert row[3] == "a\u00e2" and "T\u00e2n" in row[4] and row[5] == "X-\ufffd"


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("remote_version", 2**63, "remote_version 9223372036854775808 is out of range"),
    ("views", 2**64, "views 18446744073709551616 is out of range"),
    ("shares", -(2**70), "out of range"),
    ("views", 10**5000, "about 5001 digits"),
], ids=["version-2^63", "views-2^64", "shares--2^70", "views-5001-digits"])
def test_numbers_beyond_64_bits_are_quarantined_alone(store: Store, field: str, value: int,
                                                      reason: str) -> None:
    bad = escalation(**{field: value})
    goods = [escalation() for _ in range(3)]
    page = [incoming(goods[0]), Incoming(bad, "h", b'{"raw": "payload"}'),
            *(incoming(g) for g in goods[1:])]
    with store.write() as db:
        result = merge_page(db, 1, page, [], NOW)
    assert len(result.changed_ids) == 3 and result.quarantined == 1 and result.stale == 0
    [(ext, why, count, _, _)] = _quarantine(store)
    assert ext == bad.external_id and reason in str(why) and count == 1
    with store.read() as db:
        raw = db.execute("SELECT raw FROM quarantine").fetchone()[0]
    assert raw == '{"raw": "payload"}'


# -- quarantine rows: one per bad record or payload, counted -----------------------------

def test_the_same_bad_record_or_page_is_one_row_with_a_count(store: Store) -> None:
    later = datetime(2026, 12, 2, tzinfo=UTC)
    for when in (NOW, later):
        with store.write() as db:
            merge_page(db, 1, [], [Quarantined.of("R-1", "status 'x' is not one we know",
                                                  "{...}"),
                                   Quarantined.of(None, "malformed page: not JSON",
                                                  "<html>502</html>")], when)
    rows = _quarantine(store)
    assert [(r[0], r[2]) for r in rows] == [("R-1", 2), (None, 2)]
    assert all(r[3] == int(NOW.timestamp()) and r[4] == int(later.timestamp()) for r in rows)
    with store.read() as db:
        assert cs.channel_statuses(db, NOW)[0].quarantined == 2


def test_a_good_version_of_a_quarantined_record_clears_its_row(store: Store) -> None:
    with store.write() as db:
        merge_page(db, 1, [], [Quarantined.of("R-7", "bad", "{}")], NOW)
        merge_page(db, 1, [incoming(escalation(external_id="R-7"))], [], NOW)
    assert _quarantine(store) == []


# -- migration 0004 on a cache with data ------------------------------------------------

def test_0004_folds_repeated_quarantine_rows_and_fills_outcomes(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    cache_at_revision(path, "0003")
    db = sqlite3.connect(path)
    db.executemany("INSERT INTO channel (id, name, kind, last_success_at, last_error, "
                   "last_error_at) VALUES (?, ?, 'rr_api', ?, ?, ?)",
                   [(1, "fine", 100, None, None), (2, "broken", 100, "HTTP 500", 200),
                    (3, "new", None, None, None)])
    db.executemany("INSERT INTO quarantine (channel_id, external_id, reason, raw, "
                   "received_at) VALUES (?, ?, ?, ?, ?)",
                   [(1, "A", "bad", "{a}", 10), (1, "A", "worse", "{a2}", 20),
                    (1, None, "page", "<x>", 15), (1, None, "page", "<x>", 25),
                    (1, None, "page", "<y>", 30), (2, "A", "bad", "{a}", 40)])
    db.commit()
    db.close()
    store = Store.open(path)
    with store.read() as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == \
            HEAD_REVISION
        rows = conn.execute("SELECT channel_id, external_id, reason, raw, seen_count, "
                            "received_at, last_seen_at FROM quarantine "
                            "ORDER BY channel_id, received_at").fetchall()
        outcomes = conn.execute("SELECT name, last_outcome, last_outcome_at FROM channel "
                                "ORDER BY id").fetchall()
    store.close()
    assert rows == [(1, "A", "worse", "{a2}", 2, 10, 20), (1, None, "page", "<x>", 2, 15, 25),
                    (1, None, "page", "<y>", 1, 30, 30), (2, "A", "bad", "{a}", 1, 40, 40)]
    assert outcomes == [("fine", "ok", 100), ("broken", "failed", 200), ("new", None, None)]


# -- the schema check at open ------------------------------------------------------------

def test_expected_schema_matches_the_metadata() -> None:
    from rr_desktop.store.schema import metadata

    assert {t.name: " ".join(c.name for c in t.columns)
                        for t in metadata.tables.values()} == EXPECTED


@pytest.mark.parametrize("damage", ["DROP TABLE outbox", "DROP TABLE escalation_fts",
                                    "ALTER TABLE channel DROP COLUMN last_outcome"])
def test_a_dropped_table_or_column_is_a_damaged_cache(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "cache.sqlite3"
    Store.open(path).close()
    db = sqlite3.connect(path)
    db.execute(damage)
    db.commit()
    db.close()
    with pytest.raises(CorruptDatabase, match=r"missing.*move the file away and RR Desktop "
                                              r"will resync"):
        Store.open(path)


# -- the last run's outcome --------------------------------------------------------------

def test_outcome_is_the_last_runs_and_a_page_never_clears_an_error(store: Store) -> None:
    def status() -> cs.ChannelStatus:
        with store.read() as db:
            return cs.channel_statuses(db, NOW)[0]

    now_s = int(NOW.timestamp())
    assert status().state(now_s) == "never synced"
    with store.write() as db:
        cs.record_error(db, 1, "HTTP 503 from the server", NOW)
        cs.record_progress(db, 1, NOW)  # a later page of the same failing run
    assert status().state(now_s) == "failed: HTTP 503 from the server"
    with store.write() as db:
        cs.record_outcome(db, 1, cs.RATE_LIMITED, NOW, "rate-limited", now_s + 600)
    assert status().state(now_s).startswith("rate-limited until ")
    with store.write() as db:
        cs.record_outcome(db, 1, cs.CANCELLED, NOW)
    assert status().state(now_s) == "cancelled"
    with store.write() as db:
        cs.record_success(db, 1, NOW, None)
    assert status().state(now_s) == "ok" and status().last_error is None


# -- the WAL stays bounded during a long sync and is truncated after ---------------------

def test_wal_is_checkpointed_during_a_sync_and_truncated_after(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "BULK_AUTOCHECKPOINT_PAGES", 64)  # 256 KB, not 64 MB
    wal = tmp_path / "cache.sqlite3-wal"
    peak = 0

    def sample(_progress: object) -> None:
        nonlocal peak
        peak = max(peak, wal.stat().st_size if wal.exists() else 0)

    with DemoServer(token=TOKEN, seed=3, count=3000) as server:
        env = make_env(server, tmp_path / "cache.sqlite3", page_size=100)
        env.store.set_autocheckpoint(0)  # as a whole run without checkpoints would be
        with env.store.write() as db:  # not empty: FTS is kept page by page
            merge_page(db, 1, [incoming(escalation(external_id="LOCAL-1"))], [], NOW)
        env.engine.run("demo", progress=sample)
        size = env.store.path.stat().st_size
        assert env.count() == 3001
        assert wal.stat().st_size == 0  # truncated once the run was over
        env.store.close()
    # Without checkpoints the WAL of this run grows past the whole cache's size; with
    # them it stays within the threshold plus a page or two.
    assert peak < min(size, 2 * 1024 * 1024), (peak, size)


def test_a_failed_checkpoint_after_a_run_is_not_an_error(store: Store) -> None:
    other = sqlite3.connect(store.path)
    other.execute("BEGIN")
    other.execute("SELECT count(*) FROM escalation").fetchone()  # a reader holds the WAL
    with store.write() as db:
        merge_page(db, 1, [incoming(escalation())], [], NOW)
    store.end_bulk()  # waits TRUNCATE_WAIT_MS for the reader, then gives up quietly
    assert store.truncate_wal() is False
    other.execute("COMMIT")
    other.close()
    assert store.truncate_wal() is True


def test_a_record_without_a_usable_id_or_version_is_quarantined_alone(store: Store) -> None:
    no_version = replace(escalation(), remote_version=None)  # a channel's bug
    no_id = replace(escalation(), external_id=["not", "text"])
    with store.write() as db:
        result = merge_page(db, 1, [incoming(no_version), incoming(no_id),
                                    incoming(escalation())], [], NOW)
    assert result.quarantined == 2 and len(result.changed_ids) == 1 and result.stale == 0


def test_storable_row_names_a_missing_required_field(store: Store) -> None:
    bad = replace(escalation(), title=None)  # a channel bug: no title at all
    with store.write() as db:
        result = merge_page(db, 1, [incoming(bad), incoming(escalation())], [], NOW)
    assert result.quarantined == 1 and len(result.changed_ids) == 1
    assert _quarantine(store)[0][1] == "title is missing"
