"""The sync engine against the real reference service over loopback HTTP."""

from __future__ import annotations

import random
import sqlite3
import threading
from pathlib import Path

import pytest

from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.demo import DemoServer
from rr_desktop.store import fts
from rr_desktop.store import outbox as ob
from rr_desktop.store.ingest import merge_page
from rr_desktop.store.timecodec import utcnow
from tests.integration.sync_env import TOKEN, SyncEnv, make_env, make_env_for, server_ids
from tests.peers.reference_service import ReferenceService


def _server_ids(server: DemoServer) -> set[str]:
    return set(server_ids(server))


def test_ten_thousand_arrive_exactly_once(tmp_path: Path) -> None:
    with DemoServer(token=TOKEN, seed=3, count=10_000) as server:
        env = make_env(server, tmp_path / "c.sqlite3")
        report = env.engine.run("demo")
        assert report.error is None, report.error
        assert report.received == 10_000 and report.changed == 10_000
        with env.store.read() as db:
            ids = [r[0] for r in db.execute("SELECT external_id FROM escalation")]
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert len(ids) == len(set(ids)) == 10_000
        assert set(ids) == set(server_ids(server))
        # The initial load indexed FTS once at the end: every row is searchable.
        sample = server.state.get(server_ids(server)[1234])
        assert sample is not None
        word = max(sample["title"].split(), key=len).strip(".,:;'\"()")
        with env.store.read() as db:
            assert not fts.is_stale(db)
            hits = {r[0] for r in db.execute(
                "SELECT e.external_id FROM escalation_fts f JOIN escalation e ON e.id = "
                "f.rowid WHERE escalation_fts MATCH ?", (f'"{word}"',))}
        assert sample["id"] in hits
        again = env.engine.run("demo")  # nothing new: nothing changes
        assert again.error is None and again.changed == 0
        env.store.close()


def test_replayed_and_out_of_order_pages_change_nothing(env: SyncEnv) -> None:
    client = RrApiChannel("demo", env.server.url, TOKEN, page_size=100)
    pages, cursor = [], None
    while True:
        page = client.pull(cursor)
        pages.append(page)
        cursor = page.next_cursor
        if page.done:
            break
    some = server_ids(env.server)[:50]
    for ext in some:
        env.server.state.mutate(ext, status="investigating")
    newer = client.pull(cursor)
    assert {i.record.external_id for i in newer.items} == set(some)
    order = [*pages, newer]
    random.Random(5).shuffle(order)
    for page in [*order, *order]:  # shuffled, then everything replayed
        with env.store.write() as db:
            merge_page(db, env.channel_id, page.items, page.quarantined, utcnow())
    assert env.count() == 1000
    for ext in some:
        assert env.cached(ext)[1] == "investigating"
    with env.store.read() as db:
        versions = dict(db.execute("SELECT external_id, remote_version FROM escalation"))
    assert all(versions[e] == env.server.state.get(e)["version"] for e in versions)


def _queue_status_changes(env: SyncEnv, n: int, status: str = "triaged") -> list[str]:
    exts = server_ids(env.server)[:n]
    now = utcnow()
    with env.store.write() as db:
        for ext in exts:
            esc_id = env.cached(ext)[0]
            ob.record_local_update(db, esc_id, {"status": status, "assignee": "a.tan"},
                                   "a.tan", "test", now)
            ob.record_message(db, esc_id, "note", f"checked {ext}", "a.tan", now)
    return exts


@pytest.mark.parametrize("fault", ["429", "5xx", "drop"])
def test_outbox_ops_apply_exactly_once_under_faults(env: SyncEnv, fault: str) -> None:
    assert env.engine.run("demo").error is None
    exts = _queue_status_changes(env, 10)
    env.server.faults.add(fault, count=6, retry_after=1)
    env.engine.rng = random.Random(0)
    for _ in range(10):
        report = env.engine.run("demo")
        with env.store.read() as db:
            left = db.execute("SELECT count(*) FROM outbox WHERE state != 'done'").fetchone()[0]
        if not left:
            break
        with env.store.write() as db:  # don't wait out backoff in a test
            db.execute("UPDATE outbox SET next_attempt_at = 0")
    assert left == 0, report
    assert len(env.server.faults.injected) == 6  # the faults really happened
    for ext in exts:
        assert env.server.state.get(ext)["status"] == "triaged"
        assert env.server.state.get(ext)["assignee"] == "a.tan"
        assert env.server.state.patch_count(ext) == 1
        assert len(env.server.state.notes(ext)) == 1
        assert env.cached(ext)[1] == "triaged"
        assert env.cached(ext)[4] == env.server.state.get(ext)["version"]  # echo applied


def test_same_field_changed_on_both_sides_is_a_conflict(env: SyncEnv) -> None:
    assert env.engine.run("demo").error is None
    [ext] = server_ids(env.server)[:1]
    esc_id = env.cached(ext)[0]
    with env.store.write() as db:
        ob.record_local_update(db, esc_id, {"status": "declined", "severity": "S3"}, "a.tan",
                               "spam", utcnow())
    env.server.state.mutate(ext, status="contained", assignee="k.lee")  # a colleague acts
    report = env.engine.run("demo")
    assert report.conflicts == 1
    server_rec = env.server.state.get(ext)
    assert server_rec["status"] == "contained"  # theirs was not overwritten
    with env.store.read() as db:
        conflicts = db.execute("SELECT field, mine, theirs FROM conflict WHERE "
                               "escalation_id = ?", (esc_id,)).fetchall()
        state = db.execute("SELECT state, payload FROM outbox WHERE escalation_id = ?",
                           (esc_id,)).fetchone()
        events = db.execute("SELECT count(*) FROM escalation_event WHERE kind = 'conflict' "
                            "AND escalation_id = ?", (esc_id,)).fetchone()[0]
    assert conflicts == [("status", '"declined"', '"contained"')]
    assert state[0] == "conflict" and '"severity": "S3"' in state[1]  # disjoint field kept
    assert events == 1
    assert env.cached(ext)[1] == "declined"  # mine stays visible until resolved
    assert env.cached(ext)[2] == "k.lee"  # their disjoint change merged


def test_a_note_behind_a_conflict_waits_and_the_run_ends(env: SyncEnv) -> None:
    """The note queued after a conflicting edit waits for the analyst's decision; the run
    finishes (it used to spin in the drain loop forever: the waiting note counted as due)."""
    assert env.engine.run("demo").error is None
    [ext] = server_ids(env.server)[:1]
    esc_id = env.cached(ext)[0]
    with env.store.write() as db:
        ob.record_local_update(db, esc_id, {"status": "declined"}, "a.tan", "spam", utcnow())
        ob.record_message(db, esc_id, "note", "declined: spam", "a.tan", utcnow())
    env.server.state.mutate(ext, status="contained")
    reports: list[object] = []
    cancel = threading.Event()
    run = threading.Thread(target=lambda: reports.append(env.engine.run("demo", cancel=cancel)),
                           daemon=True)
    run.start()
    run.join(30)
    stuck = run.is_alive()
    cancel.set()  # a stuck run stops here instead of spinning through the other tests
    run.join(10)
    assert not stuck, "the sync run did not finish"
    [report] = reports
    assert report.error is None and report.conflicts == 1  # type: ignore[attr-defined]
    with env.store.read() as db:
        states = db.execute("SELECT op_type, state FROM outbox ORDER BY seq").fetchall()
    assert states == [("update", "conflict"), ("note", "pending")]
    assert env.server.state.notes(ext) == []  # not sent ahead of the decision


def test_expired_cursor_resyncs_without_touching_outbox(env: SyncEnv, tmp_path: Path) -> None:
    assert env.engine.run("demo").error is None
    _queue_status_changes(env, 1)
    with env.store.write() as db:
        db.execute("UPDATE sync_cursor SET cursor = 'someoneelse.5'")
        db.execute("UPDATE outbox SET next_attempt_at = 9999999999")  # keep it queued
    report = env.engine.run("demo")
    assert report.error is None and report.resynced
    assert report.received == 1000 and env.count() == 1000
    with env.store.read() as db:
        assert db.execute("SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0]


def test_wrong_token_is_a_clear_error(demo_server: DemoServer, tmp_path: Path) -> None:
    env = make_env(demo_server, tmp_path / "c.sqlite3")
    env.engine.clients["demo"] = RrApiChannel("demo", demo_server.url, "wrong")
    report = env.engine.run("demo")
    assert report.error == "demo: the server refused the credentials (401)"
    with env.store.read() as db:
        assert db.execute("SELECT last_error FROM channel").fetchone()[0] == report.error
    env.store.close()


def test_unreachable_server_records_error_and_loses_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The service goes away with a change and a note queued: the run says why, and the
    cache, the queued ops and the cursor are all still there; when the service is back,
    both reach it, once."""
    import rr_desktop.sync.engine as eng

    monkeypatch.setattr(eng, "MAX_PULL_ATTEMPTS", 2)
    with ReferenceService(count=10) as service:
        env = make_env_for(service, tmp_path / "c.sqlite3")
        assert env.engine.run("demo").error is None
        ext = service.ids(10)[3]
        esc_id = env.cached(ext)[0]
        with env.store.write() as db:
            ob.record_local_update(db, esc_id, {"status": "investigating"}, "a.tan", "t",
                                   utcnow())
            ob.record_message(db, esc_id, "note", "still there?", "a.tan", utcnow())
        with env.store.read() as db:
            cursor_before = db.execute("SELECT cursor FROM sync_cursor").fetchall()
        service.stop()
        env.engine.rng = random.Random(1)
        report = env.engine.run("demo")
        assert report.error is not None and "cannot reach" in report.error
        assert report.pushed == 0
        with env.store.read() as db:
            assert db.execute("SELECT last_error FROM channel").fetchone()[0] == report.error
            ops = db.execute("SELECT op_type, state FROM outbox ORDER BY seq").fetchall()
            assert db.execute("SELECT cursor FROM sync_cursor").fetchall() == cursor_before
        assert ops == [("update", "pending"), ("note", "pending")]  # queued, not dead
        assert env.count() == 10
        assert env.cached(ext)[1] == "investigating"  # the local change still shows
        service.start()  # back on the same port (an in-memory service: fresh state)
        with env.store.write() as db:  # don't wait out the backoff in a test
            db.execute("UPDATE outbox SET next_attempt_at = 0")
        report = env.engine.run("demo")
        assert report.error is None and report.pushed == 2, report.summary()
        assert service.record(ext)["status"] == "investigating"
        assert [n["text"] for n in service.notes(ext)] == ["still there?"]
        assert env.engine.run("demo").pushed == 0
        assert [n["text"] for n in service.notes(ext)] == ["still there?"]
        with env.store.read() as db:
            assert db.execute("SELECT state FROM outbox").fetchall() == [("done",), ("done",)]
        env.store.close()


def test_lease_allows_one_run_per_channel(env: SyncEnv) -> None:
    from rr_desktop.store import channel_state as cs

    with env.store.write() as db:
        assert cs.acquire_lease(db, env.channel_id, "otherhost:1", utcnow())
    report = env.engine.run("demo")
    assert report.error == "a sync of this channel is already running"
    assert env.count() == 0


def test_integrity_after_sync(env: SyncEnv) -> None:
    report = env.engine.run("demo")
    assert report.error is None, report.error
    assert report.received == report.changed == env.count() == 1000
    assert report.quarantined == 0 and not report.cancelled
    conn = sqlite3.connect(env.store.path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
