"""The SQL console's core: writes refused with one sentence by each wall, cancel and the
time limit stop a long query, the views answer on a migrated cache, the history."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rr_desktop.query import QueryError, QueryHistory, QuerySession
from rr_desktop.query import session as session_module
from rr_desktop.query.views import VIEW_NAMES
from tests.query_cache import HOSTILE_TITLE, filled_cache

COUNT_TO_A_BILLION = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                      "WHERE x < 1000000000) SELECT count(*) FROM c")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return filled_cache(tmp_path_factory.mktemp("query"))


@pytest.fixture
def session(cache: Path) -> Iterator[QuerySession]:
    s = QuerySession.open(cache)
    yield s
    s.close()


REFUSED = [
    ("INSERT INTO channel (name, kind) VALUES ('x', 'rr_api')", "INSERT"),
    ("UPDATE escalation SET title = 'x'", "UPDATE"),
    ("DELETE FROM escalation", "DELETE"),
    ("REPLACE INTO channel (name, kind) VALUES ('x', 'rr_api')", "REPLACE"),
    ("ATTACH DATABASE ':memory:' AS other", "ATTACH"),
    ("DETACH DATABASE other", "DETACH"),
    ("CREATE TABLE notes (t TEXT)", "CREATE TABLE"),
    ("CREATE TEMP VIEW mine AS SELECT 1", "CREATE TEMP VIEW"),
    ("DROP TABLE escalation", "DROP TABLE"),
    ("DROP VIEW v_sla", "DROP VIEW"),
    ("ALTER TABLE escalation ADD COLUMN x", "ALTER"),
    ("PRAGMA user_version = 1", "setting PRAGMA user_version"),
    ("PRAGMA query_only = 0", "setting PRAGMA query_only"),
    ("PRAGMA wal_checkpoint", "PRAGMA wal_checkpoint"),
    ("VACUUM", "VACUUM"),
    ("BEGIN", "BEGIN"),
    ("/* a comment */ -- and another\n insert into channel (name, kind) values ('x', 'y')",
     "INSERT"),
]


@pytest.mark.parametrize(("sql", "what"), REFUSED)
def test_a_write_is_refused_with_one_sentence(session: QuerySession, cache: Path, sql: str,
                                              what: str) -> None:
    before = cache.read_bytes()
    with pytest.raises(QueryError) as caught:
        session.execute(sql)
    assert str(caught.value) == f"The console is read-only: {what} is not allowed."
    assert caught.value.kind == "refused"
    assert cache.read_bytes() == before


@pytest.mark.parametrize(("sql", "what"), [
    ("WITH x AS (SELECT 1) INSERT INTO channel (name, kind) SELECT 'x', 'y' FROM x", "INSERT"),
    ("WITH x AS (SELECT 1) DELETE FROM escalation", "DELETE"),
    ("INSERT INTO channel (name, kind) VALUES ('x', 'rr_api')", "INSERT"),
    ("ATTACH DATABASE ':memory:' AS other", "ATTACH"),
    ("PRAGMA user_version = 1", "setting PRAGMA user_version"),
    ("CREATE TEMP TABLE t (a)", "CREATE TEMP TABLE"),
])
def test_the_authorizer_refuses_alone(session: QuerySession, sql: str, what: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Wall 2 without wall 1: what the keyword check would have caught, and what it cannot
    see (a write after WITH), the authorizer refuses."""
    monkeypatch.setattr(session_module, "check_statement", lambda _sql: None)
    with pytest.raises(QueryError, match=f"^The console is read-only: {what} is not allowed"):
        session.execute(sql)


def test_query_only_refuses_alone(session: QuerySession, cache: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Wall 3 without walls 1 and 2: SQLite itself refuses to write the file (the
    connection is opened mode=ro, and query_only)."""
    monkeypatch.setattr(session_module, "check_statement", lambda _sql: None)
    session._conn.set_authorizer(None)
    for sql, verb in (("INSERT INTO channel (name, kind) VALUES ('x', 'y')", "INSERT"),
                      ("REINDEX", "REINDEX"), ("VACUUM", "VACUUM")):
        with pytest.raises(QueryError, match=f"read-only: {verb} is not allowed"):
            session.execute(sql)
    with sqlite3.connect(cache) as other:
        assert other.execute("SELECT count(*) FROM channel WHERE name = 'x'").fetchone() == (0,)


def test_reads_still_work_through_every_wall(session: QuerySession) -> None:
    assert session.execute("PRAGMA table_info(channel)").fetch(1)[0][1] == "id"
    assert session.execute("SELECT name FROM pragma_table_info('escalation')").fetch(1) == [
        ("id",)]
    assert len(session.execute("PRAGMA user_version").fetch(5)) == 1
    hits = session.execute("SELECT rowid FROM escalation_fts WHERE escalation_fts MATCH "
                           "'livestream'").fetch(100)
    assert len(hits) == 12


def test_sql_errors_are_sentences(session: QuerySession) -> None:
    for sql, sentence in (("SELECT * FROM nope", "The query failed: no such table: nope."),
                          ("SELECT 1; SELECT 2", "Run one statement at a time"),
                          ("  -- only a comment", "Type a query first"),
                          ("SELEC 1", "The query failed: near \"SELEC\": syntax error.")):
        with pytest.raises(QueryError) as caught:
            session.execute(sql)
        assert str(caught.value).startswith(sentence)


def test_cancel_from_another_thread_stops_a_long_query(session: QuerySession) -> None:
    errors: list[QueryError] = []
    started = threading.Event()

    def run() -> None:
        started.set()
        try:
            session.execute(COUNT_TO_A_BILLION).fetch(1)
        except QueryError as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    started.wait()
    deadline = time.monotonic() + 5
    while not session._busy and time.monotonic() < deadline:  # the query is running
        time.sleep(0.005)
    time.sleep(0.1)
    cancelled_at = time.monotonic()
    session.cancel()
    worker.join(5)
    assert not worker.is_alive()
    assert time.monotonic() - cancelled_at < 1.0
    assert [(e.kind, str(e)) for e in errors] == [("cancelled", "Query cancelled.")]
    # The session is still usable afterwards.
    assert session.execute("SELECT count(*) FROM v_escalations").fetch(1) == [(12,)]


def test_a_cancel_event_stops_the_query_too(cache: Path) -> None:
    cancel = threading.Event()
    s = QuerySession.open(cache, cancel=cancel)
    try:
        threading.Timer(0.2, cancel.set).start()
        with pytest.raises(QueryError, match="cancelled"):
            s.execute(COUNT_TO_A_BILLION).fetch(1)
    finally:
        s.close()


def test_the_time_limit_stops_a_long_query(cache: Path) -> None:
    s = QuerySession.open(cache, timeout_s=0.3)
    try:
        started = time.monotonic()
        with pytest.raises(QueryError) as caught:
            s.execute(COUNT_TO_A_BILLION).fetch(1)
        assert caught.value.kind == "timeout"
        assert "longer than 0.3 s" in str(caught.value)
        assert time.monotonic() - started < 3
    finally:
        s.close()


def test_results_come_in_pages(session: QuerySession) -> None:
    result = session.execute("SELECT id FROM v_escalations ORDER BY id")
    assert result.columns == ("id",)
    assert [r[0] for r in result.fetch(5)] == [1, 2, 3, 4, 5]
    assert not result.exhausted
    assert [r[0] for r in result.fetch(5)] == [6, 7, 8, 9, 10]
    assert [r[0] for r in result.fetch(5)] == [11, 12]
    assert result.exhausted and result.fetch(5) == []


def test_the_views_answer_on_a_migrated_cache(session: QuerySession) -> None:
    def one(sql: str) -> dict[str, object]:
        result = session.execute(sql)
        return dict(zip(result.columns, result.fetch(1)[0], strict=True))

    esc = one("SELECT * FROM v_escalations WHERE id = 1")
    assert esc["channel"] == "demo" and esc["external_id"].startswith("ESC-")  # type: ignore[union-attr]
    assert esc["title"] == HOSTILE_TITLE
    assert (esc["severity"], esc["priority"]) == ("S0", "P0")
    assert esc["incident"] == "Livestreamed attack, Jakarta"
    assert esc["created_utc"] == "2026-11-25T00:01:00Z"  # factories: T0 + n minutes
    assert esc["created_market"] == "2026-11-25T07:01:00+07:00"  # Jakarta
    # A market without a known zone has no market time.
    assert one("SELECT count(*) AS n FROM v_escalations WHERE market = 'KE' "
               "AND created_market IS NULL")["n"] == 3
    inc = one("SELECT * FROM v_incidents")
    assert inc["title"] == "Livestreamed attack, Jakarta" and inc["linked"] == 1
    assert inc["status"] == "active" and inc["declared_by"] == "aditi"
    assert inc["declared_utc"] == "2026-11-25T02:00:00Z"
    sla = one("SELECT * FROM v_sla WHERE id = 1")
    # S0, never acknowledged, its acknowledge target long past: breached.
    assert (sla["clock"], sla["state"], sla["breached"], sla["paused"]) == (
        "acknowledge", "breached", "yes", "no")
    resolved = one("SELECT * FROM v_sla WHERE id = 2")
    assert resolved["clock"] is None and resolved["due_utc"] is None
    events = session.execute("SELECT field, old, new, author, delivery FROM v_timeline "
                             "WHERE field = 'status' ORDER BY id").fetch(10)
    assert events == [("status", "new", "triaged", "aditi", "pending")] * 2
    assert set(VIEW_NAMES) <= {i.name for i in session.schema() if i.kind == "view"}


def test_the_schema_lists_views_then_tables_with_columns(session: QuerySession) -> None:
    items = session.schema()
    assert [i.name for i in items[:4]] == list(VIEW_NAMES)
    escalation = next(i for i in items if i.name == "escalation")
    assert ("title", "TEXT") in escalation.columns
    assert not any(i.name.startswith(("sqlite_", "escalation_fts_")) for i in items)


def test_no_cache_is_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(QueryError, match=r"There is no cache at .* yet"):
        QuerySession.open(tmp_path / "cache.sqlite3")
    assert not (tmp_path / "cache.sqlite3").exists()


def test_history_is_newest_first_deduplicated_and_bounded(tmp_path: Path) -> None:
    history = QueryHistory(tmp_path, limit=3)
    for sql in ("SELECT 1", "SELECT 2", "select   1 ", "SELECT 3", "SELECT 4", "  "):
        history.add(sql)
    assert history.entries == ["SELECT 4", "SELECT 3", "select   1"]
    assert QueryHistory(tmp_path, limit=3).entries == history.entries
    assert (tmp_path / "query_history.json").stat().st_mode & 0o777 == 0o600


def test_an_unreadable_history_starts_afresh_and_is_kept(tmp_path: Path) -> None:
    (tmp_path / "query_history.json").write_text("{not json")
    history = QueryHistory(tmp_path)
    assert history.entries == [] and history.problem is not None
    history.add("SELECT 1")
    assert (tmp_path / "query_history.json.unreadable").read_text() == "{not json"
    assert QueryHistory(tmp_path).entries == ["SELECT 1"]
