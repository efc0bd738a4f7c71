"""`rr-desktop hub backup` / `restore` through the real entry point on real SQLite files:
a backup taken while writers commit is one consistent snapshot; restore puts it back and
keeps what it replaced; refusals are one sentence with exit 1 and change nothing."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from rr_desktop.cli import main
from rr_desktop.hub import feed, schema, tokens
from rr_desktop.hub.backup import serving_lock
from rr_desktop.hub.store import HEAD_REVISION, HubStore


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _refused(capsys: pytest.CaptureFixture[str], message: str, *argv: str) -> None:
    code, out, err = _run(capsys, *argv)
    assert (code, out) == (1, ""), err
    assert err.startswith("rr-desktop hub: error: ") and message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def _db(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _feed_state(path: Path) -> tuple[int, int, int]:
    """(counter, number of changes, highest seq) as a plain sqlite3 reader sees them."""
    with sqlite3.connect(path) as conn:
        counter = conn.execute("SELECT value FROM hub_counter WHERE name = 'feed'").fetchone()
        count, top = conn.execute("SELECT count(*), coalesce(max(seq), 0) "
                                  "FROM hub_change").fetchone()
    return int(counter[0]), int(count), int(top)


def test_a_backup_taken_while_writers_commit_is_one_consistent_snapshot(
        sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = HubStore.open(sqlite_url)
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:  # each transaction: three changes and the counter, or nothing
        while not stop.is_set():
            with store.write() as conn:
                for n in range(3):
                    seq = feed.append_change(conn, "escalation", f"e{n}", {"n": n})
            written.append(seq)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 20:  # the writers are well under way (no fixed sleep)
            stop.wait(0.005)
        backups = [tmp_path / f"backup-{i}.sqlite3" for i in range(3)]
        for target in backups:
            code, out, err = _run(capsys, "hub", "--db", sqlite_url, "backup", "--to",
                                  str(target))
            assert code == 0, err
            assert out.startswith(f"Backed up the hub to {target} (revision "
                                  f"{HEAD_REVISION}, 0 analysts, changes feed at ")
    finally:
        stop.set()
        thread.join(30)
        store.close()
    assert out.endswith(f"changes feed at {_feed_state(backups[-1])[0]}).\n")
    seen = []
    for target in backups:
        counter, count, top = _feed_state(target)
        assert counter == count == top and count % 3 == 0  # whole transactions only
        assert not Path(f"{target}-wal").exists()  # one self-contained file
        with sqlite3.connect(target) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        seen.append(count)
    assert 0 < seen[0] <= seen[1] <= seen[2] <= _feed_state(_db(sqlite_url))[1]


def test_restore_puts_a_backup_back_and_keeps_the_database_it_replaced(
        sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "hub", "--db", sqlite_url, "users", "add", "mei.tan", "--role",
                "lead")[0] == 0
    backup = tmp_path / "monday.sqlite3"
    assert _run(capsys, "hub", "--db", sqlite_url, "backup", "--to", str(backup))[0] == 0
    writer = HubStore.open(sqlite_url)  # open, as a users command running meanwhile
    try:
        with writer.write() as conn:
            later_token = tokens.add_analyst(conn, "raj.k", "analyst")
        db = _db(sqlite_url)
        assert Path(f"{db}-wal").stat().st_size > 0  # raj.k is in the WAL, not in the file
        backup_digest = _digest(backup)
        code, out, err = _run(capsys, "hub", "--db", sqlite_url, "restore", "--from",
                              str(backup))
        assert code == 0, err
    finally:
        writer.close()
    kept = sorted(tmp_path.glob("hub.sqlite3.before-restore-*"))
    assert len(kept) == 1
    assert out == (f"Restored {backup} into {sqlite_url} (revision {HEAD_REVISION}, "
                   f"changes feed at 0); the database it replaced is kept as {kept[0]}. "
                   "Start the hub again.\n")
    assert _digest(backup) == backup_digest  # the backup itself is untouched

    store = HubStore.open(sqlite_url)
    try:
        with store.read() as conn:
            assert [r.analyst for r in tokens.list_analysts(conn)] == ["mei.tan"]
            assert tokens.check_token(conn, later_token) is None
    finally:
        store.close()
    with sqlite3.connect(kept[0]) as conn:  # nothing lost: raj.k is in the kept copy
        assert sorted(r[0] for r in conn.execute("SELECT id FROM hub_analyst")) == [
            "mei.tan", "raj.k"]
    kept_store = HubStore.open(f"sqlite:///{kept[0]}")
    try:
        with kept_store.read() as conn:
            assert tokens.check_token(conn, later_token) is not None
    finally:
        kept_store.close()

    # a second restore in the same second keeps the first kept copy too
    assert _run(capsys, "hub", "--db", sqlite_url, "restore", "--from", str(backup))[0] == 0
    assert len(list(tmp_path.glob("hub.sqlite3.before-restore-*"))) == 2


def test_restore_onto_a_new_machine_creates_the_database(
        sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "hub", "--db", sqlite_url, "users", "add", "mei.tan", "--role",
                "admin")[0] == 0
    backup = tmp_path / "b.sqlite3"
    assert _run(capsys, "hub", "--db", sqlite_url, "backup", "--to", str(backup))[0] == 0
    fresh = tmp_path / "new-host" / "hub.sqlite3"
    code, out, _ = _run(capsys, "hub", "--db", f"sqlite:///{fresh}", "restore", "--from",
                        str(backup))
    assert code == 0 and out.endswith(f"(revision {HEAD_REVISION}, changes feed at 0). "
                                      "Start the hub again.\n")
    store = HubStore.open(f"sqlite:///{fresh}")
    try:
        with store.read() as conn:
            assert store.engine.dialect.name == "sqlite"
            assert conn.execute(select(func.count()).select_from(schema.analyst)
                                ).scalar_one() == 1
    finally:
        store.close()


def test_refusals_change_nothing(sqlite_url: str, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "hub", "--db", sqlite_url, "users", "add", "mei.tan", "--role",
                "lead")[0] == 0
    db = _db(sqlite_url)
    good = tmp_path / "good.sqlite3"
    assert _run(capsys, "hub", "--db", sqlite_url, "backup", "--to", str(good))[0] == 0
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = _digest(db)

    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database\n" * 100)
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(good.read_bytes())
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE hub_alembic_version SET version_num = 'h9999'")
    empty_version = tmp_path / "empty-version.sqlite3"
    empty_version.write_bytes(good.read_bytes())
    with sqlite3.connect(empty_version) as conn:
        conn.execute("DELETE FROM hub_alembic_version")

    restore = ("hub", "--db", sqlite_url, "restore", "--from")
    _refused(capsys, "is not a hub database", *restore, str(text_file))
    _refused(capsys, "is not a hub database (it has no hub revision)", *restore, str(other))
    _refused(capsys, "written by a newer rr-desktop (revision h9999", *restore, str(newer))
    _refused(capsys, "its revision is empty", *restore, str(empty_version))
    _refused(capsys, "There is no backup file at", *restore, str(tmp_path / "missing"))
    _refused(capsys, "is the hub's own database", *restore, str(db))
    with serving_lock(db, "stop it first."):  # what a running hub holds (pid inside)
        _refused(capsys, f"A hub (pid {os.getpid()}) is using {db}; stop it before "
                 "restoring.", *restore, str(good))
    assert _digest(db) == before
    assert not list(tmp_path.glob("hub.sqlite3.before-restore-*"))

    backup = ("hub", "--db", sqlite_url, "backup", "--to")
    _refused(capsys, "already exists", *backup, str(good))
    _refused(capsys, "There is no directory", *backup, str(tmp_path / "nowhere" / "b"))
    _refused(capsys, "There is no hub database at",
             "hub", "--db", f"sqlite:///{tmp_path / 'none.sqlite3'}", "backup", "--to",
             str(tmp_path / "b2"))
    assert not (tmp_path / "none.sqlite3").exists()  # a backup never creates a database
    _refused(capsys, "is not a hub database", "hub", "--db", f"sqlite:///{other}",
             "backup", "--to", str(tmp_path / "b3"))
    assert not (tmp_path / "b3").exists()
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_postgresql_points_to_pg_dump(capsys: pytest.CaptureFixture[str], tmp_path: Path
                                      ) -> None:
    url = "postgresql://hub:s3cret@db.internal/rr_hub"
    _refused(capsys, "pg_dump -Fc", "hub", "--db", url, "backup", "--to",
             str(tmp_path / "b"))
    _refused(capsys, "pg_restore", "hub", "--db", url, "restore", "--from",
             str(tmp_path / "b"))
    assert not (tmp_path / "b").exists()


def test_a_backup_from_an_older_revision_is_restored_and_migrated_on_open(
        sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from alembic import command
    from alembic.config import Config

    from rr_desktop.hub.store import KNOWN_REVISIONS, MIGRATIONS_DIR, create_hub_engine

    older = tmp_path / "older.sqlite3"
    engine = create_hub_engine(f"sqlite:///{older}")
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        with engine.connect() as conn, conn.begin():
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, KNOWN_REVISIONS[0])
    finally:
        engine.dispose()
    code, out, err = _run(capsys, "hub", "--db", sqlite_url, "restore", "--from",
                          str(older))
    assert code == 0, err
    assert f"(revision {KNOWN_REVISIONS[0]}, changes feed at 0)" in out
    HubStore.open(sqlite_url).close()  # the hub's start migrates it
    with sqlite3.connect(_db(sqlite_url)) as conn:
        assert conn.execute("SELECT version_num FROM hub_alembic_version").fetchone() == (
            HEAD_REVISION,)
