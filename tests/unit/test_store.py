"""The cache keeps docs/security.md's promises: pragmas, modes, migrations, FTS in step."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from rr_desktop.domain import Channel, Status
from rr_desktop.store import channel_state as cs
from rr_desktop.store.ingest import merge_page
from rr_desktop.store.migrate import HEAD_REVISION, KNOWN_REVISIONS, SchemaTooNew
from rr_desktop.store.outbox import record_local_update
from rr_desktop.store.store import CorruptDatabase, Store
from tests.factories import T0, escalation, incoming


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "data" / "cache.sqlite3")
    yield s
    s.close()


def _channel(store: Store) -> int:
    with store.write() as db:
        return cs.ensure_channel(db, Channel("demo", "rr_api", {"base_url": "http://x"}))


def test_pragmas_on_writer_and_reader_connections(store: Store) -> None:
    with store.write() as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.in_transaction
    with store.read() as db:
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute("PRAGMA query_only").fetchone()[0] == 1
        with pytest.raises(sqlite3.OperationalError):
            db.execute("DELETE FROM channel")


def test_writes_begin_immediate(store: Store) -> None:
    """A second writer can't start while a write transaction is open (the RESERVED lock is
    taken at BEGIN, not at the first write)."""
    other = sqlite3.connect(store.path, timeout=0, isolation_level=None)
    with store.write(), pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()


def test_file_modes_under_umask_000(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        s = Store.open(tmp_path / "d" / "cache.sqlite3")
        with s.write() as db:
            cs.ensure_channel(db, Channel("demo", "rr_api", {}))
        for name in ("cache.sqlite3", "cache.sqlite3-wal", "cache.sqlite3-shm"):
            p = tmp_path / "d" / name
            assert p.exists(), name
            assert (p.stat().st_mode & 0o777) == 0o600, name
        assert ((tmp_path / "d").stat().st_mode & 0o777) == 0o700
        s.close()
    finally:
        os.umask(old)


def test_migration_from_empty_creates_every_table(store: Store) -> None:
    with store.read() as db:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"channel", "sync_cursor", "escalation", "escalation_event", "outbox",
                "quarantine", "audit_log", "analyst", "conflict", "escalation_fts"} <= names
        assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == \
            HEAD_REVISION
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1


def test_migrations_match_schema_metadata(store: Store) -> None:
    """The Alembic scripts create exactly what schema.py declares."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from rr_desktop.store.migration_connections import writer_engine
    from rr_desktop.store.schema import metadata

    engine = writer_engine(store.path)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert [d for d in diff if "escalation_fts" not in str(d)] == []


def test_known_revisions_match_alembic_scripts() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from rr_desktop.store.migrate import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    scripts = ScriptDirectory.from_config(cfg)
    assert scripts.get_current_head() == HEAD_REVISION
    assert {s.revision for s in scripts.walk_revisions()} == set(KNOWN_REVISIONS)


def test_newer_major_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    Store.open(path).close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 2")
    raw.commit()
    raw.close()
    before = path.read_bytes()
    with pytest.raises(SchemaTooNew, match="newer RR Desktop"):
        Store.open(path)
    assert path.read_bytes() == before


def test_corrupt_file_gives_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(CorruptDatabase, match="damaged"):
        Store.open(path)


def _search(store: Store, query: str) -> list[int]:
    with store.read() as db:
        return [r[0] for r in db.execute(
            "SELECT rowid FROM escalation_fts WHERE escalation_fts MATCH ? ORDER BY rowid",
            (query,))]


def test_fts_finds_inserted_and_updated_rows(store: Store) -> None:
    cid = _channel(store)
    first = escalation(title="Blackout challenge trending in Jakarta", tags=("challenge",))
    with store.write() as db:
        merge_page(db, cid, [incoming(first)], [], T0)
    [esc_id] = _search(store, "blackout")
    newer = escalation(external_id=first.external_id, remote_version=2,
                       title="Choking challenge spreads to Surabaya schools")
    with store.write() as db:
        merge_page(db, cid, [incoming(newer)], [], T0)
    assert _search(store, "blackout") == []
    assert _search(store, "surabaya") == [esc_id]
    with store.write() as db:  # a local tag edit reaches the index too
        record_local_update(db, esc_id, {"tags": ["minors", "viral"]}, "me", None, T0)
    assert _search(store, "tags:viral") == [esc_id]
    with store.read() as db:  # the index agrees with its content table
        db.execute("PRAGMA query_only=OFF")
        db.execute("INSERT INTO escalation_fts(escalation_fts, rank) VALUES('integrity-check', 1)")


def test_fts_stays_in_step_when_only_some_rows_change_text(store: Store) -> None:
    """Rows whose title, body and tags are unchanged keep their index entry (no re-index);
    rows whose text changed are re-indexed; the index still matches its table."""
    from dataclasses import replace

    cid = _channel(store)
    same = escalation(title="Scam livestream selling fake visas in Manila")
    moved = escalation(title="Deepfake of minister circulating in Hanoi")
    with store.write() as db:
        merge_page(db, cid, [incoming(same), incoming(moved)], [], T0)
    [same_id] = _search(store, "visas")
    [moved_id] = _search(store, "hanoi")
    status_only = replace(same, remote_version=2, status=Status.TRIAGED, views=90_000)
    retitled = replace(moved, remote_version=2, title="Deepfake of minister now in Da Nang")
    with store.write() as db:
        result = merge_page(db, cid, [incoming(status_only), incoming(retitled)], [], T0)
    assert sorted(result.changed_ids) == sorted([same_id, moved_id])
    assert _search(store, "visas") == [same_id]
    assert _search(store, "hanoi") == []
    assert _search(store, "nang") == [moved_id]
    with store.write() as db:  # a tags-only change is re-indexed too
        merge_page(db, cid, [incoming(replace(retitled, remote_version=3,
                                              tags=("deepfake", "election")))], [], T0)
    assert _search(store, "tags:election") == [moved_id]
    with store.read() as db:
        assert db.execute("SELECT status FROM escalation WHERE id = ?",
                          (same_id,)).fetchone()[0] == "triaged"
        db.execute("PRAGMA query_only=OFF")
        db.execute("INSERT INTO escalation_fts(escalation_fts, rank) VALUES('integrity-check', 1)")


def test_version_guard_ignores_replays_and_old_versions(store: Store) -> None:
    cid = _channel(store)
    v2 = escalation(remote_version=2, status=Status.TRIAGED)
    v1 = escalation(external_id=v2.external_id, remote_version=1, status=Status.NEW)
    with store.write() as db:
        assert len(merge_page(db, cid, [incoming(v2)], [], T0).changed_ids) == 1
        again = merge_page(db, cid, [incoming(v2), incoming(v1)], [], T0)
        assert again.changed_ids == () and again.stale == 2
        status = db.execute("SELECT status, remote_version FROM escalation").fetchone()
    assert status == ("triaged", 2)


def test_opening_a_cache_at_head_does_not_load_sqlalchemy(tmp_path: Path) -> None:
    """Start-up cost: a cache already at head opens, reads and writes on plain sqlite3;
    SQLAlchemy and Alembic load only when a migration runs (fresh interpreter)."""
    import subprocess
    import sys

    path = tmp_path / "cache.sqlite3"
    Store.open(path).close()  # migrates (loads SQLAlchemy here, in this process)
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from rr_desktop.store.store import Store\n"
        f"s = Store.open(Path({str(path)!r}))\n"
        "with s.write() as db:\n"
        "    db.execute(\"INSERT INTO channel (name, kind) VALUES ('x', 'rr_api')\")\n"
        "with s.read() as db:\n"
        "    assert db.execute('SELECT count(*) FROM channel').fetchone()[0] == 1\n"
        "s.close()\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'alembic')))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_failed_write_rolls_back_and_the_lane_stays_usable(store: Store) -> None:
    with pytest.raises(RuntimeError), store.write() as db:
        db.execute("INSERT INTO channel (name, kind) VALUES ('gone', 'rr_api')")
        raise RuntimeError("boom")
    with pytest.raises(sqlite3.IntegrityError), store.write() as db:
        db.execute("INSERT INTO channel (name, kind) VALUES ('a', 'rr_api')")
        db.execute("INSERT INTO channel (name, kind) VALUES ('a', 'rr_api')")
    with store.write() as db:
        db.execute("INSERT INTO channel (name, kind) VALUES ('kept', 'rr_api')")
    with store.read() as db:
        names = [r[0] for r in db.execute("SELECT name FROM channel ORDER BY name")]
    assert names == ["kept"]
