"""A same-field conflict resolved by the analyst, then synced, against the real service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rr_desktop.demo import DemoServer
from rr_desktop.store import outbox as ob
from rr_desktop.store.conflicts import ConflictGone, open_conflicts, resolve_conflict
from rr_desktop.store.sync_overview import queued_ops
from rr_desktop.store.timecodec import utcnow
from tests.integration.sync_env import TOKEN, SyncEnv, make_env, server_ids


@pytest.fixture
def env(tmp_path: Path) -> Iterator[SyncEnv]:
    with DemoServer(token=TOKEN, seed=5, count=50) as server:
        e = make_env(server, tmp_path / "cache.sqlite3")
        yield e
        e.store.close()


def _conflict(env: SyncEnv) -> tuple[str, int]:
    assert env.engine.run("demo").error is None
    ext = next(i for i in server_ids(env.server)
               if env.server.state.get(i)["status"] not in ("declined", "contained")
               and env.server.state.get(i)["severity"] != "S3")
    esc_id = int(env.cached(ext)[0])  # type: ignore[call-overload]
    with env.store.write() as db:
        ob.record_local_update(db, esc_id, {"status": "declined", "severity": "S3"}, "a.tan",
                               "spam", utcnow())
    env.server.state.mutate(ext, status="contained")
    assert env.engine.run("demo").conflicts == 1
    return ext, esc_id


def test_keep_mine_pushes_mine_over_theirs(env: SyncEnv) -> None:
    ext, esc_id = _conflict(env)
    with env.store.read() as db:
        [conflict] = open_conflicts(db)
    assert (conflict.field, conflict.mine, conflict.theirs) == ("status", "declined",
                                                                "contained")
    with env.store.write() as db:
        assert resolve_conflict(db, conflict.id, "mine", "a.tan", utcnow()) == esc_id
    report = env.engine.run("demo")
    assert report.error is None and report.conflicts == 0
    assert env.server.state.get(ext)["status"] == "declined"
    assert env.server.state.get(ext)["severity"] == "S3"
    assert env.cached(ext)[1] == "declined"
    with env.store.read() as db:
        assert open_conflicts(db) == [] and queued_ops(db) == []
        events = db.execute("SELECT reason FROM escalation_event WHERE escalation_id = ? AND "
                            "kind = 'conflict_resolved'", (esc_id,)).fetchall()
    assert events == [("kept mine",)]


def test_take_theirs_keeps_the_source_value_and_pushes_the_rest(env: SyncEnv) -> None:
    ext, _esc_id = _conflict(env)
    with env.store.read() as db:
        [conflict] = open_conflicts(db)
    patches = env.server.state.patch_count(ext)
    with env.store.write() as db:
        resolve_conflict(db, conflict.id, "theirs", "a.tan", utcnow())
    assert env.cached(ext)[1] == "contained"  # the cache shows theirs at once
    assert env.engine.run("demo").error is None
    record = env.server.state.get(ext)
    assert record["status"] == "contained" and record["severity"] == "S3"
    assert env.server.state.patch_count(ext) == patches + 1  # only the disjoint field went
    with env.store.read() as db:
        audit = db.execute("SELECT count(*) FROM audit_log WHERE action = "
                           "'conflict_resolved'").fetchone()[0]
    assert audit == 1
    with env.store.write() as db, pytest.raises(ConflictGone):
        resolve_conflict(db, conflict.id, "mine", "a.tan", utcnow())


def test_edit_pushes_a_third_value(env: SyncEnv) -> None:
    ext, _ = _conflict(env)
    with env.store.read() as db:
        [conflict] = open_conflicts(db)
    with env.store.write() as db:
        resolve_conflict(db, conflict.id, "edit", "a.tan", utcnow(), "investigating")
    assert env.engine.run("demo").error is None
    assert env.server.state.get(ext)["status"] == "investigating"
